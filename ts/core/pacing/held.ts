// Dispatches a full plan decided but the tick policy held back over its
// budget, released in small steps without replanning every host. A full
// `planNext` pass at 10,000 hosts costs 15–30 ms; a paced wave hands out ~50
// dispatches per step, ten steps a second, so replanning per step would
// spend most of the CP's tick time re-deciding what the last plan decided. Owns the rule
// for when the held part of a plan is still the planner's decision: only
// while nothing that could tighten a gate has happened since. Anything that
// could (a rollout's state, wave, failure or revert counts, halt, its
// manifest, a quarantine on the channel) makes the held set stale and the
// caller replans in full; changes that only loosen gates (hosts converging,
// budget slots freed) are left to the next full tick. Budget slots were
// reserved for every planned dispatch, held ones included, so releasing
// them later never exceeds a budget. Must never read the clock or mutate
// input.
import { offlineBlock } from '../gates/offline.ts';
import { quarantineBlock } from '../gates/quarantine.ts';
import type { ManifestView, PlannerInput } from '../inputs.ts';
import type { RolloutRecord } from '../rollout/types.ts';
import type { EpochMs } from '../time.ts';
import type { PlanAction } from '../planner/types.ts';

/** A QueueDispatch plan action. */
export type DispatchAction = Extract<PlanAction, { readonly kind: 'QueueDispatch' }>;

/** What a held dispatch's rollout looked like when it was planned. */
interface RolloutBasis {
  readonly fingerprint: string;
  readonly manifest: ManifestView | undefined;
}

/** Held dispatches of one plan, in planner order. */
export interface HeldDispatches {
  readonly plannedAt: EpochMs;
  readonly actions: readonly DispatchAction[];
  readonly basis: ReadonlyMap<string, RolloutBasis>;
}

/** Outcome of {@link releaseHeld}. */
export type ReleaseResult =
  | {
      readonly stale: false;
      /** Dispatches to apply now (times re-stamped to `now`). */
      readonly actions: readonly DispatchAction[];
      /** Still held after this step (`null`: none left). */
      readonly rest: HeldDispatches | null;
      /** Held hosts dropped because they no longer pass (explained by the next full tick). */
      readonly dropped: number;
    }
  | { readonly stale: true; readonly reason: string };

/**
 * Everything about a rollout that, when it changes, may tighten a gate for
 * its undispatched hosts. Converged and in-flight counts only loosen gates
 * and are left out, or every converging host would force a full replan.
 */
function fingerprint(r: RolloutRecord): string {
  return [
    r.state,
    r.currentWave,
    r.counts.Failed,
    r.counts.Reverted,
    r.failedHalted,
    r.acknowledged,
    r.haltedBy?.host ?? '',
    r.supersededBy ?? '',
  ].join('|');
}

/**
 * Records the held part of a plan against the input it was planned from.
 *
 * @example const held = holdDispatches(input, plan.actions.slice(50).filter(isDispatch), now);
 */
export function holdDispatches(
  input: PlannerInput,
  actions: readonly DispatchAction[],
  plannedAt: EpochMs,
): HeldDispatches | null {
  if (actions.length === 0) return null;
  const basis = new Map<string, RolloutBasis>();
  for (const a of actions) {
    if (basis.has(a.rolloutId)) continue;
    const r = input.rollouts.rollouts[a.rolloutId];
    basis.set(a.rolloutId, {
      fingerprint: r === undefined ? '' : fingerprint(r),
      manifest: input.manifests.get(a.rolloutId),
    });
  }
  return { plannedAt, actions, basis };
}

/**
 * Releases up to `max` held dispatches at `now`, or reports the held set
 * stale (replan in full). A held host that went offline or was dispatched
 * meanwhile is dropped; issue, soak and confirm times are re-stamped so a
 * dispatch released later gets its full confirm window.
 *
 * @example const r = releaseHeld(input, held, now, 50); if (r.stale) planNext(input, now);
 */
export function releaseHeld(
  input: PlannerInput,
  held: HeldDispatches,
  now: EpochMs,
  max: number,
  maxAgeMs: number,
): ReleaseResult {
  if (now - held.plannedAt > maxAgeMs) return { stale: true, reason: 'held plan too old' };
  if (now < held.plannedAt) return { stale: true, reason: 'clock went backwards' };
  for (const [id, b] of held.basis) {
    const r = input.rollouts.rollouts[id];
    if (r === undefined || fingerprint(r) !== b.fingerprint) {
      return { stale: true, reason: `rollout ${id} changed` };
    }
    if (input.rollouts.activeByChannel[r.channel] !== id) {
      return { stale: true, reason: `rollout ${id} no longer holds ${r.channel}` };
    }
    if (input.manifests.get(id) !== b.manifest) {
      return { stale: true, reason: `manifest of ${id} changed` };
    }
  }
  const out: DispatchAction[] = [];
  let dropped = 0;
  let i = 0;
  for (; i < held.actions.length && out.length < max; i++) {
    const a = held.actions[i] as DispatchAction;
    if (quarantineBlock(input.quarantines, a.channel, a.targetClosure) !== null) {
      return { stale: true, reason: `${a.targetClosure} quarantined on ${a.channel}` };
    }
    if (
      input.hosts.get(a.rolloutId)?.has(a.hostname) === true ||
      offlineBlock(a.hostname, input.liveness.get(a.hostname), now, input.timings) !== null
    ) {
      dropped += 1;
      continue;
    }
    out.push({
      ...a,
      issuedAt: now,
      soakDueAt: now + (a.soakDueAt - a.issuedAt),
      confirmDeadline: now + (a.confirmDeadline - a.issuedAt),
    });
  }
  const left = held.actions.slice(i);
  return {
    stale: false,
    actions: out,
    rest: left.length === 0 ? null : { ...held, actions: left },
    dropped,
  };
}
