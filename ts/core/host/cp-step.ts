// CP side of the host reducer: the mirror of RFC-0005 §4.2 wire events plus
// the dispatch the planner issued. Owns seq de-duplication, the server-side
// re-check of the Converged and Reverted invariants (409 on failure) and the
// quarantine insert on RollbackComplete. Must never run the sustained-failure
// sweep or decide a rollback: the agent does both (RFC-0006 §5, N1/N2).
import type { Effect } from '../effects.ts';
import { reject, type StepResult } from '../errors.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import { applyOutstandingResult, applyProbeResult, convergenceBlock } from './probes.ts';
import {
  ABORTED_FAILURE_REASON,
  activationFailureReason,
  failureBranch,
  isSameDispatch,
  pendingRecord,
  rejectFailureReason,
  sustainedFailureReason,
  transitionEffect,
} from './record.ts';
import type { HostPolicy, HostRolloutState, HostState, RemoteHostEvent } from './types.ts';

type Result = StepResult<HostRolloutState, Effect>;

/**
 * The wire kind of a mirrored agent event (`RemoteDispatchAck` →
 * `DispatchAck`): refusals reach the agent's log and the operator, who know
 * the protocol's names, not the mirror's.
 */
function wireKind(kind: string): string {
  return kind.startsWith('Remote') ? kind.slice('Remote'.length) : kind;
}

function illegal(s: HostRolloutState | null, kind: string): Result {
  const wire = wireKind(kind);
  return reject(
    'CORE_ERR_ILLEGAL_TRANSITION',
    s?.state ?? null,
    wire,
    `${wire} is not legal in state ${s?.state ?? '(no record)'}`,
  );
}

function ok(state: HostRolloutState, effects: Effect[]): Result {
  return { ok: true, state, effects };
}

function moved(
  s: HostRolloutState,
  effects: Effect[],
  to: HostState,
  at: EpochMs,
  patch: Partial<HostRolloutState>,
): Result {
  effects.push(transitionEffect(s, s.state, to, at));
  return ok({ ...s, ...patch, state: to }, effects);
}

/**
 * CP-mirror transition function (see {@link step} for the contract).
 * Event `at` values are the agent's timestamps and are stored as-is.
 */
export function cpStep(
  state: HostRolloutState | null,
  event: RemoteHostEvent,
  _now: EpochMs,
  policy: HostPolicy,
): Result {
  const effects: Effect[] = [];
  if (event.kind === 'RemoteDispatchIssued') {
    const d = event.dispatch;
    if (state !== null && !(state.state === 'Pending' && isSameDispatch(state, d))) {
      return illegal(state, event.kind);
    }
    const s = state ?? pendingRecord(d);
    if (state === null) effects.push(transitionEffect(s, null, 'Pending', d.issuedAt));
    effects.push({
      kind: 'RemoteQueueDispatch',
      host: d.hostname,
      payload: {
        kind: 'Dispatch',
        rollout_id: d.rolloutId,
        target_closure: d.targetClosure,
        channel: d.channel,
        wave: d.wave,
        soak_due_at: toRfc3339(d.soakDueAt),
        confirm_deadline: toRfc3339(d.confirmDeadline),
        issued_at: toRfc3339(d.issuedAt),
        seq: d.seq,
      },
    });
    return ok(s, effects);
  }
  if (state === null) return illegal(state, event.kind);

  // Seq discipline (RFC-0005 §4): retries and out-of-order events are dropped;
  // a gap means events were lost, which the heartbeat replay repairs.
  let s = state;
  if (event.seq !== null) {
    if (event.seq <= state.lastEventSeq) {
      return reject(
        'CORE_ERR_DUPLICATE_SEQ',
        state.state,
        wireKind(event.kind),
        `seq ${event.seq} is not above ${state.lastEventSeq}`,
      );
    }
    if (event.seq > state.lastEventSeq + 1) {
      effects.push({
        kind: 'EmitLog',
        level: 'warn',
        target: 'core.host',
        message: 'event seq gap: events were lost',
        fields: {
          host: state.hostname,
          rollout: state.rolloutId,
          expected: String(state.lastEventSeq + 1),
          got: String(event.seq),
        },
      });
    }
    s = { ...state, lastEventSeq: event.seq };
  }

  switch (event.kind) {
    case 'RemoteDispatchAck':
      if (s.state !== 'Pending') return illegal(state, event.kind);
      return moved(s, effects, 'Activating', event.at, {
        dispatchAckedAt: event.at,
        currentClosureAtDispatch: event.currentClosureAtDispatch,
      });
    case 'RemoteDispatchReject':
      if (s.state !== 'Pending') return illegal(state, event.kind);
      return moved(s, effects, 'Failed', event.at, {
        failedAt: event.at,
        rejectReason: event.reason,
        failureReason: rejectFailureReason(event.reason),
      });
    case 'RemoteActivationStarted':
      if (s.state !== 'Activating') return illegal(state, event.kind);
      return ok({ ...s, activationStartedAt: event.at }, effects);
    case 'RemoteActivationComplete':
      if (s.state === 'Soaking' && s.currentClosure === event.observed) {
        // The synthesised completion (heartbeat after reboot, orphan confirm)
        // and the agent's own completion describe the same fact. The CP's
        // inference is stamped with the heartbeat that revealed it, which is
        // later than the activation itself; the agent's own time wins when
        // earlier, or the probe passes it replays next would predate the
        // inferred activation, never count, and its Converged be refused.
        if (
          event.seq !== null &&
          s.activationCompletedAt !== null &&
          event.at < s.activationCompletedAt
        )
          return ok({ ...s, activationCompletedAt: event.at }, effects);
        return ok(s, effects);
      }
      if (s.state !== 'Activating' && s.state !== 'Deferred') return illegal(state, event.kind);
      effects.push({ kind: 'EmitMetric', name: 'host_activation_completed', labels: {}, value: 1 });
      return moved(s, effects, 'Soaking', event.at, {
        activationCompletedAt: event.at,
        currentClosure: event.observed,
        probes: {},
        probeTopology: null,
        probeObservedFirstAt: null,
        probeFailureFirstAt: null,
        failingSince: null,
      });
    case 'RemoteActivationFailed':
      // From Deferred too: the host rebooted onto something else than the
      // staged target (bootloader fallback), which is a failed activation.
      if (s.state !== 'Activating' && s.state !== 'Deferred') return illegal(state, event.kind);
      return moved(s, effects, 'Failed', event.at, {
        activationFailedAt: event.at,
        failedAt: event.at,
        failureReason: activationFailureReason(event.exitCode),
        // The agent decides from the same signed manifest; the mirror
        // computes the same branch so both records agree.
        policyApplied: failureBranch(s, policy),
      });
    case 'RemoteActivationDeferred':
      if (s.state !== 'Activating') return illegal(state, event.kind);
      return moved(s, effects, 'Deferred', event.at, {
        deferredAt: event.at,
        deferredComponent: event.component,
      });
    case 'RemoteProbeTopologyDeclared':
      if (s.state !== 'Soaking' || s.probeTopology !== null) return illegal(state, event.kind);
      return ok({ ...s, probeTopology: event.probes }, effects);
    case 'RemoteProbeObservedFirst':
      if (s.state !== 'Soaking') return illegal(state, event.kind);
      return ok({ ...s, probeObservedFirstAt: s.probeObservedFirstAt ?? event.at }, effects);
    case 'RemoteProbeResult':
      if (s.state === 'Converged') return ok(applyOutstandingResult(s, event), effects);
      if (s.state !== 'Soaking') return illegal(state, event.kind);
      return ok(applyProbeResult(s, event).state, effects);
    case 'RemoteProbeFailureFirst':
      if (s.state !== 'Soaking') return illegal(state, event.kind);
      return ok({ ...s, probeFailureFirstAt: s.probeFailureFirstAt ?? event.at }, effects);
    case 'RemoteFailed':
      // A health failure happens during soak; an operator abort also fails
      // a host that already converged (docs/design/operator-actions.md).
      if (s.state !== 'Soaking' && !(s.state === 'Converged' && event.cause === 'operator-abort')) {
        return illegal(state, event.kind);
      }
      return moved(s, effects, 'Failed', event.at, {
        failedAt: event.at,
        failureReason:
          event.cause === 'operator-abort'
            ? ABORTED_FAILURE_REASON
            : sustainedFailureReason(event.failingProbes),
        policyApplied: event.policyApplied,
      });
    case 'RemoteRollbackComplete':
      if (s.state !== 'Failed' || s.policyApplied !== 'rollback-and-halt') {
        return illegal(state, event.kind);
      }
      if (event.revertedTo === s.targetClosure) {
        return reject(
          'CORE_ERR_INVARIANT_REJECTED',
          s.state,
          wireKind(event.kind),
          'Reverted requires current != declared, but the reverted-to closure is the target',
        );
      }
      effects.push({
        kind: 'RemoteInsertQuarantine',
        channel: s.channel,
        closure: s.targetClosure,
      });
      return moved(s, effects, 'Reverted', event.at, {
        revertedTo: event.revertedTo,
        currentClosure: event.revertedTo,
        revertedAt: event.at,
      });
    case 'RemoteConverged': {
      if (s.state !== 'Soaking') return illegal(state, event.kind);
      const block =
        event.currentClosure !== s.targetClosure
          ? `reported closure ${event.currentClosure} is not the target ${s.targetClosure}`
          : convergenceBlock(s, event.at, policy.clockSkewSlackMs)?.detail;
      if (block !== undefined) {
        return reject('CORE_ERR_INVARIANT_REJECTED', s.state, wireKind(event.kind), block);
      }
      return moved(s, effects, 'Converged', event.at, { convergedAt: event.at });
    }
  }
}
