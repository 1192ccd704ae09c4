// Agent side of the host reducer: Local* events and the received Dispatch.
// Owns the agent's decisions that RFC-0005 §2.1 gives it: the manifest
// cross-check, the sustained-failure timer and the autonomous rollback from
// the manifest's onHealthFailure. Emits every wire event the agent sends, with
// its seq. Must never wait for, or act on, anything the CP says beyond the
// Dispatch itself.
import type { Effect } from '../effects.ts';
import { reject, type StepResult } from '../errors.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import { emit } from './emit.ts';
import {
  applyOutstandingResult,
  applyProbeResult,
  convergenceBlock,
  failingEnforceProbes,
} from './probes.ts';
import { applyAbort } from './abort.ts';
import {
  activationFailureReason,
  enterFailed,
  failureBranch,
  pendingRecord,
  rejectFailureReason,
  sustainedFailureReason,
  transitionEffect,
} from './record.ts';
import { bootPlan } from './boot.ts';
import { reannounce } from './reannounce.ts';
import type { HostPolicy, HostRolloutState, LocalHostEvent } from './types.ts';

type Result = StepResult<HostRolloutState, Effect>;

/** Longest DispatchReject `detail` put on the wire. */
const MAX_DETAIL = 1000;

function illegal(s: HostRolloutState | null, kind: string): Result {
  return reject(
    'CORE_ERR_ILLEGAL_TRANSITION',
    s?.state ?? null,
    kind,
    `${kind} is not legal in state ${s?.state ?? '(no record)'}`,
  );
}

/** Timer-driven checks of a Soaking host: sustained failure first, then soak. */
function evaluateSoaking(
  s: HostRolloutState,
  effects: Effect[],
  now: EpochMs,
  policy: HostPolicy,
): HostRolloutState {
  if (s.state !== 'Soaking') return s;
  if (s.failingSince !== null && now - s.failingSince >= policy.sustainedFailureMs) {
    const failing = failingEnforceProbes(s);
    const branch = failureBranch(s, policy);
    const emitted = emit(s, effects, {
      kind: 'Failed',
      failed_at: toRfc3339(now),
      sustained_duration_secs: Math.floor((now - s.failingSince) / 1000),
      failing_probes: failing,
      policy_applied: branch,
      cause: 'health',
    });
    return enterFailed(emitted, effects, policy, now, sustainedFailureReason(failing));
  }
  if (convergenceBlock(s, now, 0) === null) {
    const emitted = emit(s, effects, {
      kind: 'Converged',
      converged_at: toRfc3339(now),
      current_closure: s.targetClosure,
    });
    effects.push(transitionEffect(s, 'Soaking', 'Converged', now));
    return { ...emitted, state: 'Converged', convergedAt: now };
  }
  return s;
}

/**
 * Agent-side transition function (see {@link step} for the contract).
 * `now` drives the timers; event `at` values stamp the record and the wire.
 */
export function agentStep(
  state: HostRolloutState | null,
  event: LocalHostEvent,
  now: EpochMs,
  policy: HostPolicy,
): Result {
  const effects: Effect[] = [];
  if (event.kind === 'DispatchReceived') {
    if (state !== null) {
      return reject(
        'CORE_ERR_DUPLICATE_SEQ',
        state.state,
        event.kind,
        `dispatch for ${event.dispatch.rolloutId} already received (seq ${state.lastEventSeq})`,
      );
    }
    const d = event.dispatch;
    const s0 = pendingRecord(d);
    effects.push(transitionEffect(s0, null, 'Pending', event.at));
    const refusal =
      event.refusal?.reason ??
      (event.manifestTarget === null
        ? ('NotInManifest' as const)
        : event.manifestTarget !== d.targetClosure
          ? ('TargetMismatch' as const)
          : event.locallyQuarantined
            ? ('Quarantined' as const)
            : // Past its confirm deadline the CP no longer reserves this
              // host's disruption-budget slot; activating now could exceed
              // the budget. Refuse; the planner re-dispatches.
              event.at > d.confirmDeadline
              ? ('Stale' as const)
              : null);
    if (refusal !== null) {
      const detail =
        event.refusal != null
          ? event.refusal.detail.slice(0, MAX_DETAIL)
          : refusal === 'TargetMismatch'
            ? `dispatch names ${d.targetClosure}, manifest says ${event.manifestTarget}`
            : refusal === 'Stale'
              ? `received ${toRfc3339(event.at)}, after the confirm deadline ${toRfc3339(d.confirmDeadline)}`
              : null;
      const s1 = emit(s0, effects, {
        kind: 'DispatchReject',
        rejected_at: toRfc3339(event.at),
        reason: refusal,
        detail,
        target_closure: d.targetClosure,
      });
      effects.push(transitionEffect(s1, 'Pending', 'Failed', event.at));
      return {
        ok: true,
        state: {
          ...s1,
          state: 'Failed',
          failedAt: event.at,
          rejectReason: refusal,
          failureReason: rejectFailureReason(refusal),
        },
        effects,
      };
    }
    const s1 = emit({ ...s0, currentClosureAtDispatch: event.currentClosure }, effects, {
      kind: 'DispatchAck',
      received_at: toRfc3339(event.at),
      current_closure_at_dispatch: event.currentClosure,
    });
    effects.push(transitionEffect(s1, 'Pending', 'Activating', event.at));
    effects.push({ kind: 'LocalFireSwitch', target: d.targetClosure });
    return {
      ok: true,
      state: { ...s1, state: 'Activating', dispatchAckedAt: event.at },
      effects,
    };
  }
  if (state === null) return illegal(state, event.kind);

  switch (event.kind) {
    case 'LocalActivationStarted': {
      if (state.state !== 'Activating') return illegal(state, event.kind);
      const s1 = emit(state, effects, {
        kind: 'ActivationStarted',
        started_at: toRfc3339(event.at),
        switch_method: event.switchMethod,
      });
      return { ok: true, state: { ...s1, activationStartedAt: event.at }, effects };
    }
    case 'LocalActivationCompleted': {
      if (state.state !== 'Activating' && state.state !== 'Deferred') {
        return illegal(state, event.kind);
      }
      if (event.observed !== state.targetClosure) {
        // The switch returned but the system is not on the target: a failed
        // activation as far as the rollout is concerned (verify mismatch).
        const reason = `current-system is ${event.observed}, expected ${state.targetClosure}`;
        const s1 = emit(state, effects, {
          kind: 'ActivationFailed',
          failed_at: toRfc3339(event.at),
          switch_exit_code: event.exitCode,
          stderr_tail: reason,
        });
        const s2 = { ...s1, activationFailedAt: event.at };
        const why = activationFailureReason(event.exitCode);
        return { ok: true, state: enterFailed(s2, effects, policy, event.at, why), effects };
      }
      const s1 = emit(state, effects, {
        kind: 'ActivationComplete',
        completed_at: toRfc3339(event.at),
        observed_current_closure: event.observed,
        switch_exit_code: event.exitCode,
      });
      effects.push({ kind: 'LocalResetProbeCache', declare: true });
      effects.push(transitionEffect(s1, state.state, 'Soaking', event.at));
      return {
        ok: true,
        state: {
          ...s1,
          state: 'Soaking',
          activationCompletedAt: event.at,
          currentClosure: event.observed,
          probes: {},
          probeTopology: null,
          probeObservedFirstAt: null,
          probeFailureFirstAt: null,
          failingSince: null,
        },
        effects,
      };
    }
    case 'LocalActivationFailed': {
      if (state.state !== 'Activating' && state.state !== 'Deferred') {
        return illegal(state, event.kind);
      }
      const s1 = emit(state, effects, {
        kind: 'ActivationFailed',
        failed_at: toRfc3339(event.at),
        switch_exit_code: event.exitCode,
        stderr_tail: event.stderrTail,
      });
      const s2 = { ...s1, activationFailedAt: event.at };
      return {
        ok: true,
        state: enterFailed(s2, effects, policy, event.at, activationFailureReason(event.exitCode)),
        effects,
      };
    }
    case 'LocalActivationDeferred': {
      if (state.state !== 'Activating') return illegal(state, event.kind);
      const s1 = emit(state, effects, {
        kind: 'ActivationDeferred',
        component: event.component,
        deferred_at: toRfc3339(event.at),
      });
      effects.push(transitionEffect(s1, 'Activating', 'Deferred', event.at));
      return {
        ok: true,
        state: {
          ...s1,
          state: 'Deferred',
          deferredAt: event.at,
          deferredComponent: event.component,
        },
        effects,
      };
    }
    case 'LocalProbeTopologyDeclared': {
      if (state.state !== 'Soaking') return illegal(state, event.kind);
      if (state.probeTopology !== null) return illegal(state, event.kind);
      const s1 = emit(state, effects, {
        kind: 'ProbeTopologyDeclared',
        declared_at: toRfc3339(event.at),
        probes: event.probes.map((p) => ({ name: p.name, kind: p.kind, mode: p.mode })),
      });
      const s2 = { ...s1, probeTopology: event.probes };
      return { ok: true, state: evaluateSoaking(s2, effects, now, policy), effects };
    }
    case 'LocalProbeObserved': {
      // Disabled probes never gate; results racing a transition (before
      // activation completed, after failure) belong to no live soak: ignored.
      if (event.mode === 'disabled') return { ok: true, state, effects };
      if (state.state === 'Converged') {
        const s1 = emitResult(state, effects, event);
        return { ok: true, state: applyOutstandingResult(s1, event), effects };
      }
      if (state.state !== 'Soaking') return { ok: true, state, effects };
      const upd = applyProbeResult(state, event);
      let s1 = upd.state;
      if (upd.firstObservation) {
        s1 = emit(s1, effects, {
          kind: 'ProbeObservedFirst',
          observed_at: toRfc3339(event.at),
          probe_name: event.name,
          mode: event.mode,
        });
      }
      s1 = emitResult(s1, effects, event);
      if (upd.firstFailure) {
        s1 = emit(s1, effects, {
          kind: 'ProbeFailureFirst',
          probe_name: event.name,
          first_failed_at: toRfc3339(event.at),
        });
      }
      return { ok: true, state: evaluateSoaking(s1, effects, now, policy), effects };
    }
    case 'LocalRollbackCompleted': {
      if (state.state !== 'Failed' || state.policyApplied !== 'rollback-and-halt') {
        return illegal(state, event.kind);
      }
      if (event.exitCode !== 0 || event.revertedTo === state.targetClosure) {
        // A rollback that did not leave the bad closure: stay Failed, loudly.
        effects.push({
          kind: 'EmitLog',
          level: 'error',
          target: 'core.host',
          message: 'rollback did not complete',
          fields: { rollout: state.rolloutId, exitCode: String(event.exitCode) },
        });
        return { ok: true, state, effects };
      }
      const s1 = emit(state, effects, {
        kind: 'RollbackComplete',
        completed_at: toRfc3339(event.at),
        reverted_to_closure: event.revertedTo,
        switch_exit_code: event.exitCode,
      });
      effects.push(transitionEffect(s1, 'Failed', 'Reverted', event.at));
      return {
        ok: true,
        state: {
          ...s1,
          state: 'Reverted',
          revertedTo: event.revertedTo,
          currentClosure: event.revertedTo,
          revertedAt: event.at,
        },
        effects,
      };
    }
    case 'LocalClosureQuarantined': {
      // Only a rollout that failed on (or refused) the closure reports it.
      if (state.state !== 'Failed' && state.state !== 'Reverted') {
        return illegal(state, event.kind);
      }
      if (event.closure !== state.targetClosure) {
        return reject(
          'CORE_ERR_MISMATCHED_EVENT',
          state.state,
          event.kind,
          `quarantined closure ${event.closure} is not the target ${state.targetClosure} of ${state.rolloutId}`,
        );
      }
      const s1 = emit(state, effects, {
        kind: 'ClosureQuarantined',
        closure: event.closure,
        quarantined_at: toRfc3339(event.quarantinedAt),
        failure_count: event.failureCount,
        last_failure_at: toRfc3339(event.lastFailureAt),
      });
      return { ok: true, state: s1, effects };
    }
    case 'LocalTick':
      return { ok: true, state: evaluateSoaking(state, effects, now, policy), effects };
    case 'LocalRolloutAborted':
      return applyAbort(state, event.rolloutId, event.at, policy);
    case 'LocalReannounce':
      return reannounce(state, event);
    case 'LocalBootObserved': {
      const plan = bootPlan(state, event);
      let s = state;
      for (const e of plan.events) {
        const r = agentStep(s, e, now, policy);
        if (!r.ok) return r;
        s = r.state;
        effects.push(...r.effects);
      }
      effects.push(...plan.effects);
      return { ok: true, state: s, effects };
    }
  }
}

function emitResult(
  s: HostRolloutState,
  effects: Effect[],
  e: Extract<LocalHostEvent, { kind: 'LocalProbeObserved' }>,
): HostRolloutState {
  return emit(s, effects, {
    kind: 'ProbeResult',
    probe_name: e.name,
    status: e.status,
    observed_at: toRfc3339(e.at),
    failure_reason: e.status === 'Fail' ? e.failureReason : null,
    mode: e.mode,
    sub_results: e.subResults,
  });
}
