// The planner under operator marks: pause withholds promotion and dispatch
// while in-flight hosts finish; abort is final; a manual wave waits for its
// approval; clearing a Reverted rollout the policy lets an operator clear.
// And the safety property: no sequence of actions, from any role, makes the
// planner dispatch outside the signed manifest, promote past a failing gate
// or exceed a disruption budget.
import { describe, expect, it } from 'vitest';
import { explainHost } from '../decisions.ts';
import { replay } from '../replay.ts';
import { OPERATOR_ACTIONS } from '../rollout/operator.ts';
import { ENFORCE, Sim, closureOf, manifestOf, sel } from '../../../tests/support/core-sim.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const OPS = {
  alice: { role: 'operator' },
  root: { role: 'admin' },
  vic: { role: 'viewer' },
} as const;

function dispatched(plan: ReturnType<Sim['tick']>): string[] {
  return plan.actions.flatMap((a) => (a.kind === 'QueueDispatch' ? [a.hostname] : [])).sort();
}

function failHost(
  sim: Sim,
  id: string,
  host: string,
  now: number,
  policy: 'halt' | 'rollback-and-halt',
): void {
  sim.activate(id, host, now);
  sim.report(
    id,
    host,
    (seq) => ({ kind: 'RemoteProbeTopologyDeclared', seq, probes: [ENFORCE], at: now }),
    now,
  );
  sim.report(
    id,
    host,
    (seq) => ({
      kind: 'RemoteFailed',
      seq,
      sustainedDurationSecs: 60,
      failingProbes: [ENFORCE.name],
      policyApplied: policy,
      at: now,
    }),
    now,
  );
}

describe('operator pause and resume', () => {
  it('withholds promotion and dispatch while paused; in-flight hosts finish; resume continues', () => {
    const sim = new Sim();
    const hosts = ['a1', 'a2', 'b1'];
    sim.heartbeat(hosts, T0);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'p1',
        waves: [['a1', 'a2'], ['b1']],
        budgets: [{ selector: sel({ all: true }), hosts, maxInFlight: 1 }],
      }),
    );
    expect(dispatched(sim.tick(T0))).toEqual(['a1']);
    expect(sim.act('pause', id, 'alice', OPS, T0 + MIN, 'db migration running').ok).toBe(true);
    sim.heartbeat(hosts, T0 + 5 * MIN);
    // a1, already dispatched, finishes while paused.
    sim.happy(id, 'a1', T0 + 2 * MIN);
    let plan = sim.tick(T0 + 5 * MIN);
    expect(dispatched(plan)).toEqual([]);
    const a2 = explainHost(plan.decisions, 'a2')[0];
    expect(a2?.code).toBe('OPERATOR_PAUSED');
    expect(a2?.gate).toBe('operator');
    expect(a2?.reason).toContain("paused by operator:alice 4m ago: 'db migration running'");
    expect(sim.model.book.rollouts[id]?.state).not.toBe('Terminal');

    expect(sim.act('resume', id, 'alice', OPS, T0 + 6 * MIN).ok).toBe(true);
    sim.heartbeat(hosts, T0 + 6 * MIN);
    plan = sim.tick(T0 + 6 * MIN);
    expect(dispatched(plan)).toEqual(['a2']);
    sim.happy(id, 'a2', T0 + 7 * MIN);
    sim.heartbeat(hosts, T0 + 8 * MIN);
    expect(dispatched(sim.tick(T0 + 8 * MIN))).toEqual(['b1']);
    const replayed = replay(sim.model.log, sim.model.rolloutOptions);
    expect(replayed.ok && replayed.model.book).toEqual(sim.model.book);
  });
});

describe('operator abort', () => {
  it('is final: nothing more is dispatched, and the next release supersedes it', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(manifestOf({ channel: 'stable', ref: 'ab1', waves: [['a'], ['b']] }));
    sim.tick(T0);
    sim.happy(id, 'a', T0 + MIN);
    expect(sim.act('abort', id, 'alice', OPS, T0 + MIN).ok).toBe(false);
    expect(sim.act('abort', id, 'root', OPS, T0 + MIN, 'bad build').ok).toBe(true);
    sim.heartbeat(['a', 'b'], T0 + 2 * MIN);
    const plan = sim.tick(T0 + 2 * MIN);
    expect(dispatched(plan)).toEqual([]);
    expect(plan.actions.some((a) => a.kind === 'PromoteWave')).toBe(false);
    expect(explainHost(plan.decisions, 'b')[0]).toMatchObject({ code: 'OPERATOR_ABORTED' });
    expect(explainHost(plan.decisions, 'b')[0]?.reason).toContain('only a new release');
    expect(sim.act('resume', id, 'root', OPS, T0 + 3 * MIN)).toMatchObject({
      ok: false,
      code: 'WRONG_STATE',
    });

    const next = sim.release(manifestOf({ channel: 'stable', ref: 'ab2', waves: [['a'], ['b']] }));
    const opened = sim.tick(T0 + 4 * MIN);
    expect(opened.actions[0]).toMatchObject({
      kind: 'OpenRollout',
      rolloutId: next,
      supersedes: id,
    });
    expect(sim.model.book.rollouts[id]?.state).toBe('Superseded');
  });
});

describe('manual approval between waves', () => {
  it('promotes wave 0, then holds wave 1 until an operator approves it', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'm1',
        waves: [['a'], ['b']],
        approval: ['auto', 'manual'],
      }),
    );
    expect(sim.act('approve', id, 'alice', OPS, T0)).toMatchObject({
      ok: false,
      code: 'UNKNOWN_ROLLOUT',
    });
    sim.tick(T0);
    expect(sim.act('approve', id, 'alice', OPS, T0)).toMatchObject({
      ok: false,
      code: 'APPROVAL_NOT_REQUIRED',
    });
    sim.happy(id, 'a', T0 + MIN);
    sim.heartbeat(['a', 'b'], T0 + 2 * MIN);
    let plan = sim.tick(T0 + 2 * MIN);
    expect(sim.model.book.rollouts[id]?.currentWave).toBe(1);
    expect(dispatched(plan)).toEqual([]);
    expect(explainHost(plan.decisions, 'b')[0]).toMatchObject({
      code: 'AWAITING_APPROVAL',
      gate: 'operator',
    });
    plan = sim.tick(T0 + 3 * MIN);
    expect(dispatched(plan)).toEqual([]);
    expect(sim.act('approve', id, 'vic', OPS, T0 + 4 * MIN)).toMatchObject({
      ok: false,
      code: 'ROLE_FORBIDDEN',
    });
    expect(sim.act('approve', id, 'alice', OPS, T0 + 4 * MIN, 'canary looks fine').ok).toBe(true);
    expect(dispatched(sim.tick(T0 + 4 * MIN))).toEqual(['b']);
  });

  it('a manual first wave waits before anything is dispatched', () => {
    const sim = new Sim();
    sim.heartbeat(['a'], T0);
    const id = sim.release(
      manifestOf({ channel: 'stable', ref: 'm2', waves: [['a']], approval: ['manual'] }),
    );
    expect(dispatched(sim.tick(T0))).toEqual([]);
    sim.act('approve', id, 'root', OPS, T0 + MIN);
    expect(dispatched(sim.tick(T0 + MIN))).toEqual(['a']);
  });
});

describe('operator clear', () => {
  function reverted(operatorClear: boolean): { sim: Sim; id: string } {
    const sim = new Sim();
    sim.heartbeat(['a', 'b', 'c'], T0);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'c1',
        waves: [['a', 'c'], ['b']],
        operatorClear,
        budgets: [{ selector: sel({ all: true }), hosts: ['a', 'b', 'c'], maxInFlight: 1 }],
      }),
    );
    sim.tick(T0);
    failHost(sim, id, 'a', T0 + MIN, 'rollback-and-halt');
    sim.report(
      id,
      'a',
      (seq) => ({
        kind: 'RemoteRollbackComplete',
        seq,
        revertedTo: closureOf('a', 'prior'),
        exitCode: 0,
        at: T0 + 2 * MIN,
      }),
      T0 + 2 * MIN,
    );
    expect(sim.model.book.rollouts[id]?.state).toBe('Reverted');
    return { sim, id };
  }

  it('is refused when the signed policy does not allow it; the views say a new release is the way on', () => {
    const { sim, id } = reverted(false);
    expect(sim.act('clear', id, 'root', OPS, T0 + 3 * MIN)).toMatchObject({
      ok: false,
      code: 'CLEAR_NOT_ALLOWED',
    });
    sim.heartbeat(['a', 'b', 'c'], T0 + 3 * MIN);
    expect(dispatched(sim.tick(T0 + 3 * MIN))).toEqual([]);
  });

  it('resumes a Reverted rollout the policy lets an operator clear', () => {
    const { sim, id } = reverted(true);
    expect(sim.act('clear', id, 'alice', OPS, T0 + 3 * MIN)).toMatchObject({
      ok: false,
      code: 'ROLE_FORBIDDEN',
    });
    expect(sim.act('clear', id, 'root', OPS, T0 + 3 * MIN, 'probe was misconfigured').ok).toBe(
      true,
    );
    expect(sim.model.book.rollouts[id]?.state).not.toBe('Reverted');
    sim.heartbeat(['a', 'b', 'c'], T0 + 4 * MIN);
    expect(dispatched(sim.tick(T0 + 4 * MIN))).toEqual(['c']);
  });

  it('lets the next release take the channel at once; the cleared wave never passes its gate', () => {
    const { sim, id } = reverted(true);
    const quarantined = sim.record(id, 'a')?.targetClosure;
    expect(sim.act('clear', id, 'root', OPS, T0 + 3 * MIN, 'probe was misconfigured').ok).toBe(
      true,
    );
    sim.heartbeat(['a', 'b', 'c'], T0 + 4 * MIN);
    expect(dispatched(sim.tick(T0 + 4 * MIN))).toEqual(['c']);
    sim.happy(id, 'c', T0 + 5 * MIN);
    sim.heartbeat(['a', 'b', 'c'], T0 + 6 * MIN);
    // Every other member Converged, but a's revert still fails the wave's gate.
    const held = sim.tick(T0 + 6 * MIN);
    expect(
      held.actions.some((x) => x.kind === 'PromoteWave' || x.kind === 'MarkRolloutTerminal'),
    ).toBe(false);
    expect(dispatched(held)).toEqual([]);

    const next = sim.release(
      manifestOf({ channel: 'stable', ref: 'c2', waves: [['a', 'c'], ['b']] }),
    );
    const plan = sim.tick(T0 + 7 * MIN);
    expect(plan.decisions.some((d) => d.code === 'SUPERSESSION_QUEUED')).toBe(false);
    expect(sim.model.book.rollouts[id]?.state).toBe('Superseded');
    expect(sim.model.book.activeByChannel.stable).toBe(next);
    for (const a of plan.actions) {
      if (a.kind === 'QueueDispatch') expect(a.targetClosure).not.toBe(quarantined);
    }
    expect(dispatched(plan)).toEqual(['a']);
  });
});

describe('no operator action widens what the signed policy allows', () => {
  // A deterministic generator: every run explores the same sequences.
  function* sequences(seed: number, count: number, length: number): Generator<[string, string][]> {
    let x = seed;
    const next = (n: number): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const who = Object.keys(OPS);
    for (let i = 0; i < count; i++) {
      yield Array.from({ length }, () => [
        OPERATOR_ACTIONS[next(OPERATOR_ACTIONS.length)] as string,
        who[next(who.length)] as string,
      ]);
    }
  }

  it('never dispatches outside the manifest, past a failing gate, or over budget', () => {
    const hosts = ['a1', 'a2', 'b1', 'b2'];
    for (const seq of sequences(7, 200, 6)) {
      const sim = new Sim();
      sim.heartbeat(hosts, T0);
      const m = manifestOf({
        channel: 'stable',
        ref: 'z1',
        waves: [
          ['a1', 'a2'],
          ['b1', 'b2'],
        ],
        approval: ['auto', 'manual'],
        operatorClear: true,
        onHealthFailure: 'halt',
        budgets: [{ selector: sel({ all: true }), hosts, maxInFlight: 1 }],
      });
      const id = sim.release(m);
      const target = new Map(m.hostSet.map((h) => [h.hostname, h.targetClosure]));
      let now = T0;
      sim.tick(now);
      failHost(sim, id, 'a1', now + MIN, 'halt');
      for (const [action, by] of seq) {
        now += MIN;
        sim.act(action as (typeof OPERATOR_ACTIONS)[number], id, by, OPS, now, 'fuzz');
        sim.heartbeat(hosts, now);
        const plan = sim.tick(now);
        for (const a of plan.actions) {
          if (a.kind === 'QueueDispatch') expect(a.targetClosure).toBe(target.get(a.hostname));
          // a1 failed in wave 0: the wave never passes its gate.
          expect(a.kind === 'PromoteWave' || a.kind === 'MarkRolloutTerminal').toBe(false);
        }
        const records = [...(sim.model.hosts.get(id)?.values() ?? [])];
        const inFlight = records.filter(
          (r) => r.state !== 'Converged' && r.state !== 'Failed' && r.state !== 'Reverted',
        );
        expect(inFlight.length).toBeLessThanOrEqual(1);
        expect(records.every((r) => r.wave === 0)).toBe(true);
      }
    }
  });
});

describe("a channel's first rollout on this database", () => {
  it('opens paused by the control plane when operators are declared, and only the first', () => {
    const sim = new Sim();
    sim.fleet = { edges: [], channelEdges: [], operators: OPS };
    sim.heartbeat(['a'], T0);
    const id = sim.release(manifestOf({ channel: 'stable', ref: 'f1', waves: [['a']] }));
    const plan = sim.tick(T0);
    expect(dispatched(plan)).toEqual([]);
    expect(sim.model.book.rollouts[id]?.paused?.by).toBe('(control-plane)');
    expect(explainHost(plan.decisions, 'a')[0]?.reason).toContain('paused by the control plane');
    expect(sim.act('resume', id, 'alice', OPS, T0 + MIN).ok).toBe(true);
    expect(dispatched(sim.tick(T0 + MIN))).toEqual(['a']);
    sim.happy(id, 'a', T0 + 2 * MIN);
    sim.tick(T0 + 3 * MIN);
    const next = sim.release(manifestOf({ channel: 'stable', ref: 'f2', waves: [['a']] }));
    sim.heartbeat(['a'], T0 + 4 * MIN);
    expect(dispatched(sim.tick(T0 + 4 * MIN))).toEqual(['a']);
    expect(sim.model.book.rollouts[next]?.paused ?? null).toBeNull();
  });

  it('opens as usual when the fleet declares no operators (nobody could resume it)', () => {
    const sim = new Sim();
    sim.heartbeat(['a'], T0);
    sim.release(manifestOf({ channel: 'stable', ref: 'f1', waves: [['a']] }));
    expect(dispatched(sim.tick(T0))).toEqual(['a']);
  });
});
