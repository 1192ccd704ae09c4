// The reconcile tick policy: given what asked for a tick and what the shell
// measured (mutator lag, edge ingest p90), decides how the tick runs — a
// planning warm-up tick, an unpaced explicit tick, a paced step that
// releases the held plan, or a paced full replan — with its dispatch budget
// and whether it records explanations; and, once it ran, when the next
// paced step is due. Owns every pacing decision the CP takes; the shell
// measures, runs the planner or `releaseHeld` as told and applies. Must
// never read the clock or keep state: the pacer state goes in and comes out.
import type { EpochMs } from '../time.ts';
import type { PlanAction } from '../planner/types.ts';
import type { DispatchAction, HeldDispatches } from './held.ts';
import {
  followUpMs,
  observeLatency,
  refill,
  takeTokens,
  type PacerConfig,
  type PacerState,
} from './pacer.ts';

/** Trigger of the follow-up ticks that release held dispatches. */
export const PACED_TRIGGER = 'paced dispatch';

/**
 * Shortest interval between two recorded explanations of paced replans
 * (interval ticks always record theirs): a busy CP replans several times a
 * second, and 10,000 decisions kept per tick were most of its old-space
 * garbage. The trace says when its decisions were planned.
 */
export const EXPLAIN_EVERY_MS = 2_000;

/**
 * Oldest a held plan may be when a paced step releases from it. During a
 * paced wave whose own events only step, this is how often the full
 * planner still runs: it bounds how stale a liveness or budget picture the
 * steps act on, and how late hosts a freed budget slot admits are seen.
 */
export const HELD_MAX_AGE_MS = 5_000;

/**
 * Actions a tick may apply while the CP's liveness picture is still
 * incomplete (planning warm-up after start): opening and pruning rollouts
 * depend on signed artifacts only; dispatch and wave progress wait, because
 * the offline gate would skip hosts that simply have not heartbeated yet.
 */
export const WARMUP_ACTIONS: ReadonlySet<PlanAction['kind']> = new Set([
  'OpenRollout',
  'PruneRollout',
]);

/** The pacing flags and the end of the planning warm-up. */
export interface TickPolicyConfig extends PacerConfig {
  /** Before this instant automatic ticks only open and prune rollouts. */
  readonly warmupUntil: EpochMs;
}

/** What asked for the tick. */
export interface TickRequest {
  readonly trigger: string;
  /** Automatic ticks (reconcile loop, startup) are paced and wait out the warm-up; explicit ones are not. */
  readonly automatic: boolean;
  /** Only these rollouts' pictures changed (their host events); absent: anything may have. */
  readonly rollouts?: ReadonlySet<string>;
}

/** What the shell measured and holds when the tick starts. */
export interface TickObservation {
  readonly now: EpochMs;
  /** The mutator's queue wait (ms). */
  readonly lagMs: number;
  /** The edge's event-ingest p90 (ms) over the window since it was last consumed; undefined while too few samples. */
  readonly ingestP90Ms: number | undefined;
  readonly held: HeldDispatches | null;
  /** When the recorded decisions were planned (null: none yet). */
  readonly lastDecisionsAt: EpochMs | null;
}

/**
 * How a tick runs. `held-step`: release up to `maxDispatches` of the held
 * plan, and run the paced full replan instead when `releaseHeld` reports
 * the held plan stale.
 */
export type TickMode = 'warm-up' | 'unpaced' | 'held-step' | 'full-replan';

/** The policy's answer for one tick. */
export interface TickDecision {
  readonly mode: TickMode;
  /** The trigger as logged and counted. */
  readonly trigger: string;
  /** Plan action kinds the tick may apply (null: all). */
  readonly only: ReadonlySet<PlanAction['kind']> | null;
  /** Most dispatches the tick applies (Infinity: unpaced). */
  readonly maxDispatches: number;
  /** Keep the planned dispatches over budget as the held plan (paced ticks). */
  readonly holdRest: boolean;
  /** A full replan records its decisions (false: the previous ones stay). */
  readonly explain: boolean;
  /** The pacer's rate in use (hosts/s) for paced ticks; null for others. */
  readonly dispatchRate: number | null;
  /** The ingest p90 was fed to the pacer: the shell starts a new window. */
  readonly ingestConsumed: boolean;
  readonly pacer: PacerState;
}

/**
 * True when every rollout in `rollouts` still has dispatches in the held
 * plan. Their host events can then only loosen gates (anything that could
 * tighten one makes the held plan stale, see held.ts), and what a full
 * replan would add — hosts a freed budget slot admits — comes after the
 * held ones anyway; a rollout with nothing held (its wave may have just
 * completed) needs the full planner at once.
 */
function heldCovers(held: HeldDispatches, rollouts: ReadonlySet<string> | undefined): boolean {
  if (rollouts === undefined || rollouts.size === 0) return false;
  const ids = new Set(held.actions.map((a) => a.rolloutId));
  for (const r of rollouts) if (!ids.has(r)) return false;
  return true;
}

/**
 * Decides how the tick asked for by `req` runs, from the pacer state and
 * the shell's observations.
 *
 * @example decideTick(c, pacer, { trigger: 'manual', automatic: false }, obs).mode === 'unpaced'
 */
export function decideTick(
  c: TickPolicyConfig,
  pacer: PacerState,
  req: TickRequest,
  obs: TickObservation,
): TickDecision {
  const unpaced = {
    only: null,
    maxDispatches: Number.POSITIVE_INFINITY,
    holdRest: false,
    explain: true,
    dispatchRate: null,
    ingestConsumed: false,
    pacer,
  };
  if (!req.automatic) return { ...unpaced, mode: 'unpaced', trigger: req.trigger };
  if (obs.now < c.warmupUntil) {
    return {
      ...unpaced,
      mode: 'warm-up',
      trigger: `${req.trigger} (warm-up)`,
      only: WARMUP_ACTIONS,
    };
  }
  // Paced: the rate adapts to the acknowledgement latency first (each
  // dispatch brings ~5 events, and the CP must absorb those), then the
  // bucket says how many this tick may apply.
  const observed = observeLatency(c, pacer, obs.lagMs, obs.now, obs.ingestP90Ms);
  const { state, budget } = refill(c, observed, obs.now);
  // A paced follow-up first releases what the last full plan held back
  // (O(step), not O(hosts)); so do host events of rollouts mid-release:
  // replanning every host for them (twice a second during a wave, 9 ms at
  // 10,000 hosts and 25 ms at 19,900) stalls the events queued behind.
  const step =
    obs.held !== null && (req.trigger === PACED_TRIGGER || heldCovers(obs.held, req.rollouts));
  return {
    mode: step ? 'held-step' : 'full-replan',
    trigger: req.trigger,
    only: null,
    maxDispatches: budget,
    holdRest: true,
    explain:
      req.trigger === 'interval' ||
      obs.lastDecisionsAt === null ||
      obs.now - obs.lastDecisionsAt >= EXPLAIN_EVERY_MS,
    dispatchRate: state.rate,
    ingestConsumed: obs.ingestP90Ms !== undefined,
    pacer: state,
  };
}

/**
 * Splits a plan's actions into those the tick applies and the dispatches
 * over its budget (in planner order), after dropping kinds it may not
 * apply.
 *
 * @example admitActions(plan.actions, null, 50).held.length === dispatches - 50
 */
export function admitActions(
  actions: readonly PlanAction[],
  only: ReadonlySet<PlanAction['kind']> | null,
  maxDispatches: number,
): { readonly apply: readonly PlanAction[]; readonly held: readonly DispatchAction[] } {
  let budget = maxDispatches;
  const held: DispatchAction[] = [];
  const apply = actions.filter((a) => {
    if (only !== null && !only.has(a.kind)) return false;
    if (a.kind !== 'QueueDispatch') return true;
    if (budget > 0) {
      budget -= 1;
      return true;
    }
    held.push(a);
    return false;
  });
  return { apply, held };
}

/** What follows a paced tick. */
export interface TickSettlement {
  readonly pacer: PacerState;
  /** The next paced step (null: nothing held). */
  readonly followUp: { readonly trigger: string; readonly inMs: number } | null;
}

/**
 * Books a paced tick's dispatches against the bucket and schedules the
 * step that releases what it held; null for unpaced and warm-up ticks,
 * which neither spend tokens nor hold anything.
 *
 * @example settleTick(c, d, { sent: 50, heldDispatches: 0 })?.followUp === null
 */
export function settleTick(
  c: PacerConfig,
  d: TickDecision,
  outcome: { readonly sent: number; readonly heldDispatches: number },
): TickSettlement | null {
  if (d.mode !== 'held-step' && d.mode !== 'full-replan') return null;
  const pacer = takeTokens(c, d.pacer, outcome.sent);
  return {
    pacer,
    followUp:
      outcome.heldDispatches > 0
        ? { trigger: PACED_TRIGGER, inMs: followUpMs(c, pacer, outcome.heldDispatches) }
        : null,
  };
}
