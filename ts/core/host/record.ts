// Construction helpers for host records shared by the agent reducer and the
// CP mirror: the fresh Pending record, the transition effect and the failure
// policy decision. Must never contain event-specific transition rules.
import type { Effect } from '../effects.ts';
import type { EpochMs } from '../time.ts';
import type {
  DispatchFields,
  HostPolicy,
  HostRolloutState,
  HostState,
  OnHealthFailure,
} from './types.ts';

/**
 * The record a Dispatch creates: Pending, nothing observed yet. `seq` starts
 * at the dispatch's seq (the CP side of the seq space, RFC-0005 §4.1).
 *
 * @example pendingRecord(dispatch).state === 'Pending'
 */
export function pendingRecord(d: DispatchFields): HostRolloutState {
  return {
    rolloutId: d.rolloutId,
    hostname: d.hostname,
    channel: d.channel,
    wave: d.wave,
    state: 'Pending',
    targetClosure: d.targetClosure,
    currentClosureAtDispatch: null,
    currentClosure: null,
    revertedTo: null,
    dispatchedAt: d.issuedAt,
    confirmDeadline: d.confirmDeadline,
    soakDueAt: d.soakDueAt,
    soakMs: Math.max(0, d.soakDueAt - d.issuedAt),
    dispatchAckedAt: null,
    activationStartedAt: null,
    activationCompletedAt: null,
    activationFailedAt: null,
    deferredAt: null,
    deferredComponent: null,
    probeTopology: null,
    probeObservedFirstAt: null,
    probeFailureFirstAt: null,
    convergedAt: null,
    failedAt: null,
    failureReason: null,
    rejectReason: null,
    policyApplied: null,
    revertedAt: null,
    probes: {},
    failingSince: null,
    outstandingFailures: [],
    lastEventSeq: d.seq,
  };
}

/** The shared `RecordTransition` effect for a state change. */
export function transitionEffect(
  s: { readonly hostname: string; readonly rolloutId: string },
  from: HostState | null,
  to: HostState,
  at: EpochMs,
): Effect {
  return { kind: 'RecordTransition', host: s.hostname, rollout: s.rolloutId, from, to, at };
}

/**
 * Which failure branch applies: rollback only when the manifest asks for it
 * and there is a prior closure distinct from the target to return to;
 * otherwise the host halts in Failed. Agent and CP compute the same answer.
 */
export function failureBranch(s: HostRolloutState, policy: HostPolicy): OnHealthFailure {
  const canRollBack =
    s.currentClosureAtDispatch !== null && s.currentClosureAtDispatch !== s.targetClosure;
  return policy.onHealthFailure === 'rollback-and-halt' && canRollBack
    ? 'rollback-and-halt'
    : 'halt';
}

/** Whether a dispatch re-issues the one a record was created from. */
export function isSameDispatch(s: HostRolloutState, d: DispatchFields): boolean {
  return (
    s.rolloutId === d.rolloutId &&
    s.hostname === d.hostname &&
    s.targetClosure === d.targetClosure &&
    s.wave === d.wave
  );
}

/** The record's failure reason for a failed activation (same on both sides). */
export function activationFailureReason(exitCode: number | null): string {
  return `activation failed (exit ${exitCode === null ? 'none' : String(exitCode)})`;
}

/** The record's failure reason for a sustained probe failure. */
export function sustainedFailureReason(failingProbes: readonly string[]): string {
  return `sustained enforce-probe failure: ${failingProbes.join(', ')}`;
}

/** The record's failure reason for a refused dispatch. */
export function rejectFailureReason(reason: string): string {
  return `dispatch rejected: ${reason}`;
}

/** Failed with the manifest's policy applied; fires the rollback if chosen. */
export function enterFailed(
  s: HostRolloutState,
  effects: Effect[],
  policy: HostPolicy,
  at: EpochMs,
  reason: string,
): HostRolloutState {
  const branch = failureBranch(s, policy);
  effects.push(transitionEffect(s, s.state, 'Failed', at));
  if (branch === 'rollback-and-halt' && s.currentClosureAtDispatch !== null) {
    effects.push({ kind: 'LocalFireRollbackTo', closure: s.currentClosureAtDispatch });
  }
  return { ...s, state: 'Failed', failedAt: at, failureReason: reason, policyApplied: branch };
}

/** The record's failure reason when an operator aborted the rollout. */
export const ABORTED_FAILURE_REASON = 'rollout aborted by an operator';
