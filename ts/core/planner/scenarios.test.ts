// long-file: the planner's end-to-end scenarios over the shared simulator,
// each a few lines; together they read as the rollout specification.
import { describe, expect, it } from 'vitest';
import { explainHost } from '../decisions.ts';
import { replay } from '../replay.ts';
import { ENFORCE, Sim, closureOf, manifestOf, sel } from '../../../tests/support/core-sim.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);

function dispatched(plan: ReturnType<Sim['tick']>): string[] {
  return plan.actions.flatMap((a) => (a.kind === 'QueueDispatch' ? [a.hostname] : [])).sort();
}

describe('scenario: 3-wave canary', () => {
  it('dispatches wave by wave, holds on soak and probes, then completes', () => {
    const sim = new Sim();
    const hosts = ['canary-01', 'web-01', 'web-02', 'db-01', 'db-02'];
    sim.heartbeat(hosts, T0);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'aaaa01',
        waves: [['canary-01'], ['web-01', 'web-02'], ['db-01', 'db-02']],
        soakMinutes: [30, 10, 0],
      }),
    );
    let plan = sim.tick(T0);
    expect(plan.actions[0]).toMatchObject({ kind: 'OpenRollout', rolloutId: id, supersedes: null });
    expect(dispatched(plan)).toEqual(['canary-01']);
    expect(explainHost(plan.decisions, 'web-01')[0]?.code).toBe('WAVE_NOT_ACTIVE');

    sim.activate(id, 'canary-01', T0 + MIN);
    plan = sim.tick(T0 + 2 * MIN);
    expect(dispatched(plan)).toEqual([]);
    expect(explainHost(plan.decisions, 'canary-01')[0]?.reason).toContain(
      'awaiting probe topology',
    );

    sim.probesPass(id, 'canary-01', T0 + 2 * MIN);
    // Soak not elapsed: the CP refuses an early Converged (409 path).
    const early = sim.converge(id, 'canary-01', T0 + 3 * MIN);
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.code).toBe('CORE_ERR_INVARIANT_REJECTED');
    expect(sim.converge(id, 'canary-01', T0 + 31 * MIN).ok).toBe(true);

    sim.heartbeat(hosts, T0 + 32 * MIN);
    plan = sim.tick(T0 + 32 * MIN);
    expect(
      plan.decisions.some((d) => d.decision === 'promote' && d.transition === 'wave 0 -> wave 1'),
    ).toBe(true);
    expect(dispatched(plan)).toEqual(['web-01', 'web-02']);
    expect(sim.model.book.rollouts[id]?.currentWave).toBe(1);

    for (const h of ['web-01', 'web-02']) {
      sim.activate(id, h, T0 + 33 * MIN);
      sim.probesPass(id, h, T0 + 33 * MIN);
      expect(sim.converge(id, h, T0 + 44 * MIN).ok).toBe(true);
    }
    sim.heartbeat(hosts, T0 + 45 * MIN);
    plan = sim.tick(T0 + 45 * MIN);
    expect(dispatched(plan)).toEqual(['db-01', 'db-02']);
    for (const h of ['db-01', 'db-02']) sim.happy(id, h, T0 + 46 * MIN);
    plan = sim.tick(T0 + 47 * MIN);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'MarkRolloutTerminal', rolloutId: id }),
    );
    expect(sim.model.book.rollouts[id]?.state).toBe('Terminal');

    const replayed = replay(sim.model.log, sim.model.rolloutOptions);
    expect(replayed.ok).toBe(true);
    if (replayed.ok) {
      expect(replayed.model.book).toEqual(sim.model.book);
      expect(replayed.model.hosts).toEqual(sim.model.hosts);
    }
  });
});

describe('scenario: budget saturation across two channels', () => {
  it('shares a tags=etcd budget (selector equality) across rollouts', () => {
    const sim = new Sim();
    const etcd = ['etcd-a1', 'etcd-a2', 'etcd-b1', 'etcd-b2'];
    sim.heartbeat(etcd, T0);
    const budget = { selector: sel({ tags: ['etcd'] }), hosts: etcd, maxInFlight: 1 };
    const a = sim.release(
      manifestOf({
        channel: 'alpha',
        ref: 'a1',
        waves: [['etcd-a1', 'etcd-a2']],
        budgets: [budget],
      }),
    );
    const b = sim.release(
      manifestOf({
        channel: 'beta',
        ref: 'b1',
        waves: [['etcd-b1', 'etcd-b2']],
        budgets: [budget],
      }),
    );
    let plan = sim.tick(T0);
    // One slot fleet-wide; the same-tick dispatch counts against it.
    expect(dispatched(plan)).toEqual(['etcd-a1']);
    const held = explainHost(plan.decisions, 'etcd-b1')[0];
    expect(held?.code).toBe('BUDGET_SATURATED');
    expect(held?.budgets).toEqual({ 'tags=etcd': '0/1 in flight (+1 reserved)' });

    sim.activate(a, 'etcd-a1', T0 + MIN);
    plan = sim.tick(T0 + MIN);
    expect(dispatched(plan)).toEqual([]);
    expect(explainHost(plan.decisions, 'etcd-a2')[0]?.budgets).toEqual({
      'tags=etcd': '1/1 in flight',
    });

    sim.probesPass(a, 'etcd-a1', T0 + MIN);
    sim.converge(a, 'etcd-a1', T0 + 2 * MIN);
    plan = sim.tick(T0 + 2 * MIN);
    expect(dispatched(plan)).toEqual(['etcd-a2']);
    expect(b).toBe('beta@b1');
  });

  it('rounds percentage budgets down with a floor of one', () => {
    const sim = new Sim();
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'];
    sim.heartbeat(hosts, T0);
    sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'c1',
        waves: [hosts],
        budgets: [{ selector: sel({ all: true }), hosts, maxInFlightPct: 50 }],
      }),
    );
    expect(dispatched(sim.tick(T0))).toEqual(['h1', 'h2']);
  });
});

describe('scenario: edges', () => {
  it('holds a host until its edge predecessor converged', () => {
    const sim = new Sim();
    sim.heartbeat(['db-primary', 'app-01'], T0);
    sim.fleet = {
      edges: [{ before: 'db-primary', after: 'app-01', reason: 'migrations' }],
      channelEdges: [],
    };
    const id = sim.release(
      manifestOf({ channel: 'stable', ref: 'd1', waves: [['app-01', 'db-primary']] }),
    );
    let plan = sim.tick(T0);
    expect(dispatched(plan)).toEqual(['db-primary']);
    expect(explainHost(plan.decisions, 'app-01')[0]).toMatchObject({
      code: 'HOST_EDGE_PREDECESSOR',
      gate: 'host-edges',
    });
    sim.happy(id, 'db-primary', T0 + MIN);
    plan = sim.tick(T0 + 2 * MIN);
    expect(dispatched(plan)).toEqual(['app-01']);
  });

  it('holds a successor channel while its predecessor rolls out', () => {
    const sim = new Sim();
    sim.heartbeat(['e1', 's1'], T0);
    sim.fleet = {
      edges: [],
      channelEdges: [{ before: 'edge', after: 'stable', reason: 'canaries first' }],
    };
    const e = sim.release(manifestOf({ channel: 'edge', ref: 'e1', waves: [['e1']] }));
    sim.release(manifestOf({ channel: 'stable', ref: 'f1', waves: [['s1']] }));
    let plan = sim.tick(T0);
    expect(plan.actions.filter((x) => x.kind === 'OpenRollout')).toHaveLength(1);
    expect(plan.decisions.find((d) => d.channel === 'stable')?.code).toBe(
      'CHANNEL_EDGE_PREDECESSOR_ACTIVE',
    );
    sim.happy(e, 'e1', T0 + MIN);
    sim.tick(T0 + 2 * MIN); // edge rollout goes Terminal
    plan = sim.tick(T0 + 3 * MIN);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'OpenRollout', channel: 'stable' }),
    );
  });
});

describe('scenario: offline host', () => {
  it('does not block the wave and is caught up on return to the current target', () => {
    const sim = new Sim();
    sim.heartbeat(['laptop'], T0 - 24 * 60 * MIN); // seen once, offline since
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(
      manifestOf({ channel: 'stable', ref: 'g1', waves: [['a', 'laptop'], ['b']] }),
    );
    let plan = sim.tick(T0);
    expect(dispatched(plan)).toEqual(['a']);
    expect(explainHost(plan.decisions, 'laptop')[0]).toMatchObject({
      decision: 'skip',
      code: 'OFFLINE',
    });
    sim.happy(id, 'a', T0 + MIN);
    plan = sim.tick(T0 + 2 * MIN);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'PromoteWave', skipped: ['laptop'] }),
    );
    expect(dispatched(plan)).toEqual(['b']);
    sim.happy(id, 'b', T0 + 3 * MIN);
    sim.tick(T0 + 4 * MIN);
    expect(sim.model.book.rollouts[id]?.state).toBe('Terminal');
    // A newer release lands while the laptop is away; it returns afterwards.
    const id2 = sim.release(
      manifestOf({ channel: 'stable', ref: 'g2', waves: [['a', 'laptop'], ['b']] }),
    );
    sim.heartbeat(['a', 'b', 'laptop'], T0 + 5 * MIN);
    plan = sim.tick(T0 + 5 * MIN);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({
        kind: 'QueueDispatch',
        rolloutId: id2,
        hostname: 'laptop',
        targetClosure: closureOf('laptop', 'g2'),
      }),
    );
  });
});

describe('scenario: every canary offline', () => {
  it('holds the canary wave instead of promoting past it, and proceeds once a canary converges', () => {
    const sim = new Sim();
    sim.heartbeat(['c1', 'c2'], T0 - 24 * 60 * MIN); // both canaries seen, offline since
    sim.heartbeat(['b'], T0);
    const id = sim.release(
      manifestOf({ channel: 'stable', ref: 'g1', waves: [['c1', 'c2'], ['b']] }),
    );
    let plan = sim.tick(T0);
    expect(dispatched(plan)).toEqual([]);
    expect(plan.actions.some((a) => a.kind === 'PromoteWave')).toBe(false);
    expect(plan.decisions).toContainEqual(
      expect.objectContaining({
        decision: 'hold',
        code: 'WAVE_TOO_FEW_SOAKED',
        wave: 0,
        reason: expect.stringMatching(/0 of 2 members soaked.*; offline: c1, c2/),
      }),
    );
    expect(explainHost(plan.decisions, 'b')[0]).toMatchObject({ code: 'WAVE_NOT_ACTIVE' });
    // One canary comes online: it is dispatched, converges, and only then wave 1 opens.
    sim.heartbeat(['b', 'c1'], T0 + MIN);
    plan = sim.tick(T0 + MIN);
    expect(dispatched(plan)).toEqual(['c1']);
    sim.happy(id, 'c1', T0 + 2 * MIN);
    sim.heartbeat(['b', 'c1'], T0 + 3 * MIN);
    plan = sim.tick(T0 + 3 * MIN);
    expect(plan.actions).toContainEqual(
      expect.objectContaining({ kind: 'PromoteWave', skipped: ['c2'] }),
    );
    expect(dispatched(plan)).toEqual(['b']);
  });
});

describe('scenario: supersession mid-rollout', () => {
  it('queues newer refs (latest wins) and opens the latest after the active one ends', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const r1 = sim.release(manifestOf({ channel: 'stable', ref: 'a1', waves: [['a'], ['b']] }));
    sim.tick(T0);
    sim.activate(r1, 'a', T0 + MIN);
    sim.release(manifestOf({ channel: 'stable', ref: 'b2', waves: [['a'], ['b']] }));
    let plan = sim.tick(T0 + MIN);
    expect(plan.decisions.find((d) => d.code === 'SUPERSESSION_QUEUED')?.rollout).toBe('stable@b2');
    const r3 = sim.release(manifestOf({ channel: 'stable', ref: 'c3', waves: [['a'], ['b']] }));
    plan = sim.tick(T0 + 2 * MIN);
    expect(plan.decisions.find((d) => d.code === 'SUPERSESSION_QUEUED')?.rollout).toBe(r3);
    sim.probesPass(r1, 'a', T0 + 2 * MIN);
    sim.converge(r1, 'a', T0 + 2 * MIN);
    sim.tick(T0 + 3 * MIN);
    sim.happy(r1, 'b', T0 + 4 * MIN);
    sim.tick(T0 + 5 * MIN); // r1 Terminal
    plan = sim.tick(T0 + 6 * MIN);
    expect(plan.actions[0]).toMatchObject({ kind: 'OpenRollout', rolloutId: r3, supersedes: r1 });
    expect(sim.model.book.rollouts[r1]?.state).toBe('Superseded');
    expect(sim.model.book.rollouts['stable@b2']).toBeUndefined();
    // Retention: pruned after the window.
    plan = sim.tick(T0 + 6 * MIN + sim.timings.rolloutRetentionMs);
    expect(sim.model.book.rollouts[r1]?.state).toBe('Pruned');
  });
});

describe('scenario: probe failure → rollback-and-halt', () => {
  it('halts dispatch, reverts the host, quarantines the closure and ends Reverted', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(manifestOf({ channel: 'stable', ref: 'f1', waves: [['a'], ['b']] }));
    sim.tick(T0);
    sim.activate(id, 'a', T0 + MIN);
    sim.report(
      id,
      'a',
      (seq) => ({ kind: 'RemoteProbeTopologyDeclared', seq, probes: [ENFORCE], at: T0 + MIN }),
      T0 + MIN,
    );
    sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteProbeResult',
        seq,
        name: ENFORCE.name,
        status: 'Fail',
        mode: 'enforce',
        failureReason: '503',
        at: T0 + MIN,
      }),
      T0 + MIN,
    );
    sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteFailed',
        seq,
        sustainedDurationSecs: 60,
        failingProbes: [ENFORCE.name],
        policyApplied: 'rollback-and-halt',
        at: T0 + 2 * MIN,
      }),
      T0 + 2 * MIN,
    );
    let plan = sim.tick(T0 + 2 * MIN);
    expect(plan.decisions.find((d) => d.decision === 'halt')?.reason).toContain(
      'rollback-and-halt',
    );
    expect(dispatched(plan)).toEqual([]);
    expect(explainHost(plan.decisions, 'b')[0]?.code).toBe('ROLLOUT_HALTED');
    const r = sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteRollbackComplete',
        seq,
        revertedTo: closureOf('a', 'prior'),
        exitCode: 0,
        at: T0 + 3 * MIN,
      }),
      T0 + 3 * MIN,
    );
    expect(r.ok).toBe(true);
    expect(sim.model.book.rollouts[id]?.state).toBe('Reverted');
    expect(sim.quarantines.get('stable')?.has(closureOf('a', 'f1'))).toBe(true);
    plan = sim.tick(T0 + 4 * MIN);
    expect(dispatched(plan)).toEqual([]);
  });

  it('halt policy freezes the rollout in Failed', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(
      manifestOf({ channel: 'stable', ref: 'f2', waves: [['a'], ['b']], onHealthFailure: 'halt' }),
    );
    sim.tick(T0);
    sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteDispatchAck',
        seq,
        currentClosureAtDispatch: closureOf('a', 'old'),
        at: T0 + MIN,
      }),
      T0 + MIN,
    );
    sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteActivationFailed',
        seq,
        exitCode: 1,
        stderrTail: 'boom',
        at: T0 + MIN,
      }),
      T0 + MIN,
    );
    expect(sim.record(id, 'a')?.policyApplied).toBe('halt');
    expect(sim.model.book.rollouts[id]?.state).toBe('Failed');
    const plan = sim.tick(T0 + 2 * MIN);
    expect(plan.decisions.find((d) => d.decision === 'halt')?.reason).toContain(
      'onHealthFailure=halt',
    );
    expect(dispatched(plan)).toEqual([]);
  });
});

describe('scenario: Deferred → post-reboot completion', () => {
  it('a synthesised completion resumes the soak and the wave', () => {
    const sim = new Sim();
    sim.heartbeat(['k'], T0);
    const id = sim.release(manifestOf({ channel: 'stable', ref: 'k1', waves: [['k']] }));
    sim.tick(T0);
    const target = sim.record(id, 'k')?.targetClosure ?? '';
    sim.report(
      id,
      'k',
      (seq) => ({
        kind: 'RemoteDispatchAck',
        seq,
        currentClosureAtDispatch: closureOf('k', 'old'),
        at: T0,
      }),
      T0,
    );
    sim.report(
      id,
      'k',
      (seq) => ({ kind: 'RemoteActivationDeferred', seq, component: 'kernel', at: T0 + 1000 }),
      T0 + 1000,
    );
    let plan = sim.tick(T0 + MIN);
    expect(explainHost(plan.decisions, 'k')[0]?.code).toBe('DEFERRED_AWAITING_REBOOT');
    // Heartbeat after reboot: CP synthesises the completion (no seq).
    sim.report(
      id,
      'k',
      () => ({
        kind: 'RemoteActivationComplete',
        seq: null,
        observed: target,
        exitCode: 0,
        at: T0 + 10 * MIN,
      }),
      T0 + 10 * MIN,
    );
    expect(sim.record(id, 'k')?.state).toBe('Soaking');
    sim.probesPass(id, 'k', T0 + 11 * MIN);
    expect(sim.converge(id, 'k', T0 + 11 * MIN).ok).toBe(true);
    plan = sim.tick(T0 + 12 * MIN);
    expect(sim.model.book.rollouts[id]?.state).toBe('Terminal');
  });
});
