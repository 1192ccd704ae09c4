// The soak waiver for waves unchanged since the superseded rollout, over the
// shared simulator: what is waived, what never is (changed, new, drifted,
// never-converged or failed members; a halted predecessor), and that the
// waived hosts still go through the budget and the wave gate.
import { describe, expect, it } from 'vitest';
import { explainHost } from '../decisions.ts';
import type { ManifestView } from '../inputs.ts';
import { Sim, closureOf, manifestOf, sel } from '../../../tests/support/core-sim.ts';
import type { PlanResult } from './types.ts';

const SEC = 1000;
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 7, 1, 0, 0);

const CANARY = ['agent-01'];
const EARLY = ['agent-02', 'agent-03', 'agent-04'];
const MAIN = Array.from({ length: 12 }, (_, i) => `agent-${String(i + 5).padStart(2, '0')}`);
const AGENTS = [...CANARY, ...EARLY, ...MAIN];

/** The comms agent tier: 1 → 3 → 12, 30-minute soaks on the first two waves. */
function release(
  ref: string,
  opts: {
    readonly main?: readonly string[];
    /** Hosts whose closure this release changes; every other keeps `base`'s. */
    readonly changed?: readonly string[];
    readonly base?: string;
    readonly soak?: number;
    readonly maxInFlight?: number;
    readonly early?: readonly string[];
  } = {},
): ManifestView {
  const early = opts.early ?? EARLY;
  const main = opts.main ?? MAIN;
  const all = [...CANARY, ...early, ...main];
  const m = manifestOf({
    channel: 'main',
    ref,
    waves: [CANARY, early, main],
    soakMinutes: [opts.soak ?? 30, opts.soak ?? 30, 0],
    budgets: [
      { selector: sel({ tags: ['agent'] }), hosts: all, maxInFlight: opts.maxInFlight ?? 4 },
    ],
  });
  const base = opts.base;
  if (base === undefined) return m;
  const changed = new Set(opts.changed ?? []);
  return {
    ...m,
    hostSet: m.hostSet.map((h) => ({
      ...h,
      targetClosure: changed.has(h.hostname) ? h.targetClosure : closureOf(h.hostname, base),
    })),
  };
}

/** Scripted agents: what each runs (reported on each dispatch's ack), and who is down. */
class Fleet {
  readonly sim = new Sim();
  readonly running = new Map<string, string | null>();
  readonly down = new Set<string>();

  constructor(readonly hosts: string[]) {
    for (const h of hosts) this.running.set(h, closureOf(h, 'prior'));
  }

  beat(now: number): void {
    for (const h of this.hosts) if (!this.down.has(h)) this.sim.heartbeat([h], now);
  }

  /** The agent acks (reporting what it runs), switches and passes its probes. */
  private switchTo(id: string, host: string, target: string, now: number): void {
    const current = this.running.get(host) ?? null;
    const must = (r: { ok: boolean }): void => expect(r.ok).toBe(true);
    must(
      this.sim.report(
        id,
        host,
        (seq) => ({ kind: 'RemoteDispatchAck', seq, currentClosureAtDispatch: current, at: now }),
        now,
      ),
    );
    must(
      this.sim.report(
        id,
        host,
        (seq) => ({
          kind: 'RemoteActivationComplete',
          seq,
          observed: target,
          exitCode: 0,
          at: now + SEC,
        }),
        now + SEC,
      ),
    );
    this.running.set(host, target);
    this.sim.probesPass(id, host, now + 2 * SEC);
  }

  /** One tick: heartbeats, plan, then each dispatched host switches. */
  tick(now: number): PlanResult {
    this.beat(now);
    const plan = this.sim.tick(now);
    for (const a of plan.actions) {
      if (a.kind !== 'QueueDispatch' || this.down.has(a.hostname)) continue;
      this.switchTo(a.rolloutId, a.hostname, a.targetClosure, now);
    }
    return plan;
  }

  /** Converges every Soaking host of the rollout whose soak allows it. */
  settle(id: string, now: number): void {
    for (const [host, rec] of this.sim.model.hosts.get(id) ?? []) {
      if (rec.state === 'Soaking') this.sim.converge(id, host, now);
    }
  }

  /** Ticks every `step` until the rollout is Terminal; returns when. */
  drive(id: string, from: number, step = 5 * SEC, limit = 3 * 60 * MIN): number {
    for (let now = from; now < from + limit; now += step) {
      this.tick(now);
      this.settle(id, now + 3 * SEC);
      if (this.sim.model.book.rollouts[id]?.state === 'Terminal') return now;
    }
    throw new Error(`${id} not Terminal after ${limit / MIN} min`);
  }

  soakOf(id: string, host: string): number | undefined {
    return this.sim.record(id, host)?.soakMs;
  }
}

/** A fleet that converged on release `a1` (full soaks), ready for the next release. */
function afterFirstRelease(hosts: string[] = AGENTS, opts: Parameters<typeof release>[1] = {}) {
  const f = new Fleet(hosts);
  const id = f.sim.release(release('a1', opts));
  const end = f.drive(id, T0);
  // The first release soaked in full: the evidence the next one rests on.
  expect(f.soakOf(id, 'agent-01')).toBe(30 * MIN);
  return { f, a1: id, t: end + MIN };
}

function dispatchOf(plan: PlanResult, host: string) {
  return plan.decisions.find((d) => d.host === host && d.decision === 'dispatch');
}

describe('soak waiver: waves unchanged since the superseded rollout', () => {
  it('a release that only adds agent-17 reaches it within a minute despite 30-minute soaks', () => {
    const { f, a1, t } = afterFirstRelease([...AGENTS, 'agent-17']);
    f.down.add('agent-17'); // not yet enrolled when a1 ran: never part of it
    const b = f.sim.release(
      release('b1', { base: 'a1', main: [...MAIN, 'agent-17'], changed: ['agent-17'] }),
    );
    f.down.delete('agent-17');
    let plan = f.tick(t);
    expect(plan.actions[0]).toMatchObject({ kind: 'OpenRollout', rolloutId: b, supersedes: a1 });
    expect(dispatchOf(plan, 'agent-01')?.code).toBe('DISPATCHED_UNCHANGED');
    expect(dispatchOf(plan, 'agent-01')?.reason).toContain(`unchanged since ${a1}`);
    expect(f.soakOf(b, 'agent-01')).toBe(0);
    let converged: number | null = null;
    for (let now = t; now < t + 10 * MIN && converged === null; now += 5 * SEC) {
      plan = now === t ? plan : f.tick(now);
      f.settle(b, now + 3 * SEC);
      if (f.sim.record(b, 'agent-17')?.state === 'Converged') converged = now + 3 * SEC;
    }
    expect(converged).not.toBeNull();
    expect((converged as number) - t).toBeLessThanOrEqual(60 * SEC);
    // The early wave still passed its gate on fresh evidence, soak waived.
    expect(f.sim.model.book.rollouts[b]?.currentWave).toBe(2);
    expect(f.sim.record(b, 'agent-03')?.probes['http-ok']?.lastPassAt).toBeGreaterThanOrEqual(t);
  });

  it('a wave with a changed host keeps its full soak and holds the next wave for it', () => {
    const { f, t } = afterFirstRelease();
    const b = f.sim.release(release('b1', { base: 'a1', changed: ['agent-03'] }));
    f.tick(t);
    f.settle(b, t + 3 * SEC);
    expect(f.soakOf(b, 'agent-01')).toBe(0); // the canary wave is unchanged
    const plan = f.tick(t + 10 * SEC);
    for (const h of EARLY) {
      expect(dispatchOf(plan, h)?.code).toBe('DISPATCHED');
      expect(f.soakOf(b, h)).toBe(30 * MIN);
    }
    f.settle(b, t + 20 * SEC);
    const held = f.tick(t + 20 * MIN);
    expect(f.sim.model.book.rollouts[b]?.currentWave).toBe(1);
    expect(held.actions.some((a) => a.kind === 'PromoteWave')).toBe(false);
    f.settle(b, t + 31 * MIN);
    const promoted = f.tick(t + 31 * MIN);
    expect(promoted.actions).toContainEqual(
      expect.objectContaining({ kind: 'PromoteWave', toWave: 2 }),
    );
  });

  it('a member that never converged in the superseded rollout keeps its wave soaking', () => {
    const f = new Fleet(AGENTS);
    f.beat(T0 - 10 * MIN); // seen once, then offline through a1: skipped, never converged there
    f.down.add('agent-04');
    const a1 = f.sim.release(release('a1'));
    f.drive(a1, T0);
    expect(f.sim.record(a1, 'agent-04')).toBeUndefined();
    f.down.delete('agent-04');
    const t = T0 + 4 * 60 * MIN;
    const b = f.sim.release(release('b1', { base: 'a1' }));
    f.tick(t);
    f.settle(b, t + 3 * SEC);
    expect(f.soakOf(b, 'agent-01')).toBe(0);
    f.tick(t + 10 * SEC);
    for (const h of EARLY) expect(f.soakOf(b, h)).toBe(30 * MIN);
  });

  it('a member whose enforce probe failed after it converged keeps its wave soaking', () => {
    const { f, a1, t } = afterFirstRelease();
    const r = f.sim.report(
      a1,
      'agent-03',
      (seq) => ({
        kind: 'RemoteProbeResult',
        seq,
        name: 'http-ok',
        status: 'Fail',
        mode: 'enforce',
        failureReason: 'connection refused',
        at: t,
      }),
      t,
    );
    expect(r.ok).toBe(true);
    expect(f.sim.record(a1, 'agent-03')?.outstandingFailures).toEqual(['http-ok']);
    const b = f.sim.release(release('b1', { base: 'a1' }));
    f.tick(t + SEC);
    f.settle(b, t + 4 * SEC);
    expect(f.soakOf(b, 'agent-01')).toBe(0);
    f.tick(t + 10 * SEC);
    for (const h of EARLY) expect(f.soakOf(b, h)).toBe(30 * MIN);
  });

  it('a member rolled back in the superseded rollout (a failed catch-up) keeps its wave soaking', () => {
    const f = new Fleet(AGENTS);
    f.beat(T0 - 10 * MIN); // seen, then offline through a1's waves
    f.down.add('agent-04');
    const a1 = f.sim.release(release('a1'));
    const end = f.drive(a1, T0);
    f.down.delete('agent-04');
    f.tick(end + MIN); // back: caught up on a1, then its probe fails and it rolls back
    expect(f.sim.record(a1, 'agent-04')?.state).toBe('Soaking');
    const at = end + 2 * MIN;
    const failed = f.sim.report(
      a1,
      'agent-04',
      (seq) => ({
        kind: 'RemoteFailed',
        seq,
        sustainedDurationSecs: 60,
        failingProbes: ['http-ok'],
        policyApplied: 'rollback-and-halt',
        at,
      }),
      at,
    );
    expect(failed.ok).toBe(true);
    const revertedTo = closureOf('agent-04', 'prior');
    f.sim.report(
      a1,
      'agent-04',
      (seq) => ({ kind: 'RemoteRollbackComplete', seq, revertedTo, exitCode: 0, at }),
      at,
    );
    f.running.set('agent-04', revertedTo);
    expect(f.sim.record(a1, 'agent-04')?.state).toBe('Reverted');
    // A catch-up host's failure does not halt a1: the predecessor is clean.
    expect(f.sim.model.book.rollouts[a1]?.haltedBy).toBeNull();
    // Its closure is unchanged too (and quarantined: it is not dispatched).
    const b = f.sim.release(release('b1', { base: 'a1' }));
    f.tick(at + MIN);
    f.settle(b, at + MIN + 3 * SEC);
    expect(f.soakOf(b, 'agent-01')).toBe(0);
    const plan = f.tick(at + MIN + 10 * SEC);
    expect(explainHost(plan.decisions, 'agent-04')[0]?.code).toBe('QUARANTINED');
    for (const h of ['agent-02', 'agent-03']) expect(f.soakOf(b, h)).toBe(30 * MIN);
  });

  it('nothing is carried over from a halted rollout, only from the clean one after it', () => {
    const f = new Fleet(AGENTS);
    const a1 = f.sim.release(release('a1'));
    f.tick(T0);
    f.settle(a1, T0 + 31 * MIN); // the canary converged after its full soak
    f.tick(T0 + 32 * MIN); // wave 1 dispatched: agent-02 fails and rolls back
    const at = T0 + 34 * MIN;
    const failed = f.sim.report(
      a1,
      'agent-02',
      (seq) => ({
        kind: 'RemoteFailed',
        seq,
        sustainedDurationSecs: 60,
        failingProbes: ['http-ok'],
        policyApplied: 'rollback-and-halt',
        at,
      }),
      at,
    );
    expect(failed.ok).toBe(true);
    const revertedTo = closureOf('agent-02', 'prior');
    f.sim.report(
      a1,
      'agent-02',
      (seq) => ({ kind: 'RemoteRollbackComplete', seq, revertedTo, exitCode: 0, at }),
      at,
    );
    f.running.set('agent-02', revertedTo);
    f.settle(a1, at + 31 * MIN); // the rest of wave 1 settles
    expect(f.sim.model.book.rollouts[a1]?.state).toBe('Reverted');
    expect(f.sim.record(a1, 'agent-01')?.state).toBe('Converged');
    // The fix changes agent-02 only; the canary is unchanged since a1, but a1 halted.
    const b = f.sim.release(release('b1', { base: 'a1', changed: ['agent-02'] }));
    const open = at + 32 * MIN;
    const plan = f.tick(open);
    expect(dispatchOf(plan, 'agent-01')?.code).toBe('DISPATCHED');
    expect(f.soakOf(b, 'agent-01')).toBe(30 * MIN);
    const end = f.drive(b, open + 5 * SEC);
    // agent-03 also converged on its closure in a1, and soaks again all the same.
    expect(f.soakOf(b, 'agent-03')).toBe(30 * MIN);
    // The release after that rests on b1's clean soak.
    const c = f.sim.release(release('c1', { base: 'a1' }));
    expect(dispatchOf(f.tick(end + MIN), 'agent-01')?.code).toBe('DISPATCHED_UNCHANGED');
    expect(f.soakOf(c, 'agent-01')).toBe(0);
  });

  it('an offline member is skipped, then caught up with the full soak', () => {
    const { f, t } = afterFirstRelease();
    f.down.add('agent-03');
    const b = f.sim.release(release('b1', { base: 'a1' }));
    const later = t + 10 * MIN; // agent-03 is offline by then
    f.tick(later);
    f.settle(b, later + 3 * SEC);
    const plan = f.tick(later + 10 * SEC);
    expect(explainHost(plan.decisions, 'agent-03')[0]?.code).toBe('OFFLINE');
    expect(f.soakOf(b, 'agent-02')).toBe(0);
    f.settle(b, later + 20 * SEC);
    f.tick(later + 30 * SEC);
    expect(f.sim.model.book.rollouts[b]?.skipped).toContain('agent-03');
    f.down.delete('agent-03');
    let code: string | undefined;
    for (let now = later + MIN; code === undefined && now < later + 10 * MIN; now += 5 * SEC) {
      code = dispatchOf(f.tick(now), 'agent-03')?.code;
      f.settle(b, now + 3 * SEC);
    }
    expect(code).toBe('DISPATCHED_CATCH_UP');
    expect(f.soakOf(b, 'agent-03')).toBe(30 * MIN);
  });

  it('a host found running another closure at its dispatch holds its wave for the full soak', () => {
    const { f, t } = afterFirstRelease();
    f.running.set('agent-02', closureOf('agent-02', 'hand-switched'));
    f.running.set('agent-04', null);
    const b = f.sim.release(release('b1', { base: 'a1' }));
    f.tick(t);
    f.settle(b, t + 3 * SEC);
    f.tick(t + 10 * SEC);
    f.settle(b, t + 15 * SEC);
    for (const h of EARLY) expect(f.sim.record(b, h)?.state).toBe('Converged');
    const held = f.tick(t + 20 * MIN);
    expect(f.sim.model.book.rollouts[b]?.currentWave).toBe(1);
    const why = held.decisions.find((d) => d.code === 'WAVE_HELD')?.reason ?? '';
    expect(why).toContain('agent-02 dispatched without the soak as unchanged, but ran');
    const promoted = f.tick(t + 31 * MIN);
    expect(promoted.actions).toContainEqual(
      expect.objectContaining({ kind: 'PromoteWave', toWave: 2 }),
    );
  });

  it('waived hosts still take their disruption-budget slot while they switch', () => {
    const { f, t } = afterFirstRelease(AGENTS, { maxInFlight: 1 });
    const b = f.sim.release(release('b1', { base: 'a1', maxInFlight: 1 }));
    f.tick(t);
    f.settle(b, t + 3 * SEC);
    let plan = f.tick(t + 10 * SEC);
    const dispatched = plan.actions.filter((a) => a.kind === 'QueueDispatch');
    expect(dispatched.map((a) => a.kind === 'QueueDispatch' && a.hostname)).toEqual(['agent-02']);
    expect(explainHost(plan.decisions, 'agent-03')[0]?.code).toBe('BUDGET_SATURATED');
    expect(f.soakOf(b, 'agent-02')).toBe(0);
    f.settle(b, t + 15 * SEC);
    plan = f.tick(t + 20 * SEC);
    expect(dispatchOf(plan, 'agent-03')?.code).toBe('DISPATCHED_UNCHANGED');
  });

  it('waives a soak no longer than the superseded rollout soaked, never a longer one', () => {
    const shorter = afterFirstRelease();
    const b20 = shorter.f.sim.release(release('b1', { base: 'a1', soak: 20 }));
    expect(dispatchOf(shorter.f.tick(shorter.t), 'agent-01')?.code).toBe('DISPATCHED_UNCHANGED');
    expect(shorter.f.soakOf(b20, 'agent-01')).toBe(0);
    const { f, t } = afterFirstRelease();
    const b = f.sim.release(release('b1', { base: 'a1', soak: 45 }));
    expect(dispatchOf(f.tick(t), 'agent-01')?.code).toBe('DISPATCHED');
    expect(f.soakOf(b, 'agent-01')).toBe(45 * MIN);
  });
});
