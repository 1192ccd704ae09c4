// The agent's answer to "the rollout was aborted" (docs/design/operator-actions.md,
// "Abort on hosts already updated"). The signal comes from the control plane,
// which holds no signing key, so it can only make the agent do what a failed
// health gate would: apply the signed manifest's onHealthFailure, i.e. stay
// (halt) or go back to the generation it ran before this rollout
// (rollback-and-halt). Must never activate anything else, and must never act
// on a signal naming a rollout other than the record's own.
import type { Effect } from '../effects.ts';
import type { StepResult } from '../errors.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import { emit } from './emit.ts';
import { ABORTED_FAILURE_REASON, enterFailed, failureBranch } from './record.ts';
import type { HostPolicy, HostRolloutState } from './types.ts';

/** Why an abort signal leaves the record as it is. */
export type AbortIgnored =
  /** The signal names another rollout: stale, replayed, or not this host's. */
  | 'other-rollout'
  /** The host is not running the rollout's closure (yet): nothing to undo. */
  | 'not-on-target'
  /** The record already failed or reverted: the policy was applied once. */
  | 'already-ended';

/**
 * Whether an abort of `rolloutId` applies to the agent's current record.
 * It applies only to a Soaking or Converged host of that very rollout whose
 * current closure is the target: the hosts a failed wave would have failed.
 *
 * @example abortDecision(soakingRecord, soakingRecord.rolloutId) === 'apply'
 */
export function abortDecision(s: HostRolloutState, rolloutId: string): 'apply' | AbortIgnored {
  if (s.rolloutId !== rolloutId) return 'other-rollout';
  if (s.state === 'Failed' || s.state === 'Reverted') return 'already-ended';
  if (s.state !== 'Soaking' && s.state !== 'Converged') return 'not-on-target';
  if (s.currentClosure !== s.targetClosure) return 'not-on-target';
  return 'apply';
}

/**
 * Applies an abort signal: the Failed wire event with cause operator-abort,
 * then the manifest's onHealthFailure exactly as for a sustained failure.
 * An ignored signal changes nothing. A host still
 * Activating or Deferred is ignored now; the control plane repeats the
 * signal on every heartbeat, so it applies once the host is on the target.
 */
export function applyAbort(
  s: HostRolloutState,
  rolloutId: string,
  at: EpochMs,
  policy: HostPolicy,
): StepResult<HostRolloutState, Effect> {
  const effects: Effect[] = [];
  // An ignored signal yields no effect at all: the control plane repeats it
  // on every heartbeat, and the agent commits nothing for an unchanged record.
  if (abortDecision(s, rolloutId) !== 'apply') return { ok: true, state: s, effects };
  const emitted = emit(s, effects, {
    kind: 'Failed',
    failed_at: toRfc3339(at),
    sustained_duration_secs: 0,
    failing_probes: [],
    policy_applied: failureBranch(s, policy),
    cause: 'operator-abort',
  });
  return {
    ok: true,
    state: enterFailed(emitted, effects, policy, at, ABORTED_FAILURE_REASON),
    effects,
  };
}
