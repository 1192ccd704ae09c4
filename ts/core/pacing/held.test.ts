import { describe, expect, it } from 'vitest';
import { applyPlanAction } from '../applier.ts';
import { Sim, manifestOf, sel } from '../../../tests/support/core-sim.ts';
import { holdDispatches, releaseHeld, type DispatchAction, type HeldDispatches } from './held.ts';
import { planNext } from '../planner/plan-next.ts';

const T0 = Date.UTC(2026, 10, 22);
const SEC = 1_000;
const MAX_AGE = 5 * SEC;

const names = (as: readonly DispatchAction[]): string[] => as.map((a) => a.hostname);
const dispatchesOf = (actions: readonly { kind: string }[]): DispatchAction[] =>
  actions.filter((a): a is DispatchAction => a.kind === 'QueueDispatch');

/** A released channel with one wave of `n` online hosts; the first tick applies `first` dispatches and holds the rest. */
function pacedWave(
  n: number,
  first: number,
  extra: { budgets?: Parameters<typeof manifestOf>[0]['budgets'] } = {},
): { sim: Sim; id: string; held: HeldDispatches } {
  const sim = new Sim();
  const hosts = Array.from({ length: n }, (_, i) => `h${String(i).padStart(3, '0')}`);
  sim.heartbeat(hosts, T0);
  const id = sim.release(manifestOf({ channel: 'c', ref: 'a1', waves: [hosts], ...extra }));
  const plan = planNext(sim.input(), T0);
  const open = plan.actions.filter((a) => a.kind !== 'QueueDispatch');
  const dispatches = dispatchesOf(plan.actions);
  for (const a of [...open, ...dispatches.slice(0, first)]) {
    const r = applyPlanAction(sim.model, a, T0, (rid) => sim.policy(rid));
    if (!r.ok) throw new Error(r.message);
  }
  const held = holdDispatches(sim.input(), dispatches.slice(first), T0);
  if (held === null) throw new Error('nothing held');
  return { sim, id, held };
}

function apply(sim: Sim, actions: readonly DispatchAction[], now: number): void {
  for (const a of actions) {
    const r = applyPlanAction(sim.model, a, now, (rid) => sim.policy(rid));
    if (!r.ok) throw new Error(r.message);
  }
}

describe('held dispatches (paced release of a full plan)', () => {
  it('releases, step by step, exactly what a full replan would dispatch next', () => {
    const { sim, held: first } = pacedWave(40, 10);
    let held: HeldDispatches | null = first;
    let now = T0;
    while (held !== null) {
      now += 100;
      const full = names(dispatchesOf(planNext(sim.input(), now).actions)).slice(0, 7);
      const r = releaseHeld(sim.input(), held, now, 7, MAX_AGE);
      if (r.stale) throw new Error(r.reason);
      expect(names(r.actions)).toEqual(full);
      expect(r.dropped).toBe(0);
      apply(sim, r.actions, now);
      held = r.rest;
    }
    expect(dispatchesOf(planNext(sim.input(), now + 100).actions)).toEqual([]);
  });

  it('re-stamps issue, soak and confirm times to the release time', () => {
    const { sim, held } = pacedWave(5, 1);
    const planned = held.actions[0] as DispatchAction;
    const r = releaseHeld(sim.input(), held, T0 + 3 * SEC, 1, MAX_AGE);
    if (r.stale) throw new Error(r.reason);
    const a = r.actions[0] as DispatchAction;
    expect(a.hostname).toBe(planned.hostname);
    expect(a.issuedAt).toBe(T0 + 3 * SEC);
    expect(a.confirmDeadline - a.issuedAt).toBe(planned.confirmDeadline - planned.issuedAt);
    expect(a.soakDueAt - a.issuedAt).toBe(planned.soakDueAt - planned.issuedAt);
  });

  it('goes stale when a host of the rollout fails (the halt gate must be re-evaluated)', () => {
    const { sim, id, held } = pacedWave(20, 2);
    sim.activate(id, 'h000', T0 + SEC);
    const failed = sim.report(
      id,
      'h000',
      (seq) => ({
        kind: 'RemoteFailed',
        seq,
        sustainedDurationSecs: 60,
        failingProbes: ['http-ok'],
        policyApplied: 'halt',
        at: T0 + SEC,
      }),
      T0 + SEC,
    );
    if (!failed.ok) throw new Error(failed.message);
    const r = releaseHeld(sim.input(), held, T0 + 2 * SEC, 5, MAX_AGE);
    expect(r).toMatchObject({ stale: true });
    // …and the full replan it forces dispatches nothing more.
    expect(dispatchesOf(planNext(sim.input(), T0 + 2 * SEC).actions)).toEqual([]);
  });

  it('goes stale when the target is quarantined on the channel', () => {
    const { sim, held } = pacedWave(6, 1);
    const target = (held.actions[0] as DispatchAction).targetClosure;
    sim.quarantines.set('c', new Map([[target, { quarantinedAt: T0 }]]));
    expect(releaseHeld(sim.input(), held, T0 + SEC, 5, MAX_AGE)).toMatchObject({ stale: true });
  });

  it('keeps releasing when a newer release queues behind the rollout, as a full plan would', () => {
    const { sim, held } = pacedWave(6, 1);
    const hosts = ['h000', ...held.actions.map((a) => a.hostname)];
    sim.release(manifestOf({ channel: 'c', ref: 'b2', waves: [hosts] }));
    const full = planNext(sim.input(), T0 + SEC);
    expect(full.decisions.map((d) => d.code)).toContain('SUPERSESSION_QUEUED');
    const r = releaseHeld(sim.input(), held, T0 + SEC, 50, MAX_AGE);
    if (r.stale) throw new Error(r.reason);
    expect(names(r.actions)).toEqual(names(dispatchesOf(full.actions)));
  });

  it('goes stale when the held plan is older than the limit or the clock went back', () => {
    const { sim, held } = pacedWave(4, 1);
    expect(releaseHeld(sim.input(), held, T0 + MAX_AGE + 1, 5, MAX_AGE)).toMatchObject({
      stale: true,
      reason: 'held plan too old',
    });
    expect(releaseHeld(sim.input(), held, T0 - 1, 5, MAX_AGE)).toMatchObject({ stale: true });
  });

  it('drops a held host that went offline or was dispatched meanwhile, and keeps going', () => {
    const { sim, held } = pacedWave(6, 1);
    const [a, b, c] = held.actions as DispatchAction[];
    if (a === undefined || b === undefined || c === undefined) throw new Error('too few');
    // a: dispatched by someone else (a full tick between steps); b: silent for too long.
    apply(sim, [a], T0);
    const late = T0 + sim.timings.heartbeatIntervalMs * sim.timings.missedHeartbeatsOffline + 1;
    for (const h of held.actions.map((x) => x.hostname)) {
      if (h !== b.hostname) sim.heartbeat([h], late);
    }
    const r = releaseHeld(sim.input(), { ...held, plannedAt: late - SEC }, late, 2, MAX_AGE);
    if (r.stale) throw new Error(r.reason);
    expect(r.dropped).toBe(2);
    expect(names(r.actions)).toEqual([c.hostname, (held.actions[3] as DispatchAction).hostname]);
  });

  it('never exceeds a disruption budget: slots were reserved for held dispatches at planning', () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `h${String(i).padStart(3, '0')}`);
    const { sim, held } = pacedWave(12, 2, {
      budgets: [{ selector: sel({ tags: ['all'] }), hosts, maxInFlight: 4 }],
    });
    // The plan dispatched 4 (the budget), applied 2, holds 2: a release cannot go beyond.
    expect(held.actions).toHaveLength(2);
    const r = releaseHeld(sim.input(), held, T0 + SEC, 50, MAX_AGE);
    if (r.stale) throw new Error(r.reason);
    expect(r.actions).toHaveLength(2);
    expect(r.rest).toBeNull();
  });

  it('holds nothing for an empty list', () => {
    const sim = new Sim();
    expect(holdDispatches(sim.input(), [], T0)).toBeNull();
  });
});
