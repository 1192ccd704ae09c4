// Boundary conversion from a validated agent wire event (RFC-0005 §4.2) to
// the CP-mirror reducer event. Owns timestamp parsing (RFC 3339 → epoch ms).
// Must never validate the schema (ts/contracts does) or touch state.
import type { AgentEvent } from '../../contracts/index.ts';
import { parseRfc3339 } from '../time.ts';
import type { DeferredComponent, DispatchRejectReason, ProbeKind, ProbeMode } from '../wire.ts';
import type { RemoteHostEvent } from './types.ts';

/**
 * Converts a validated wire event into a Remote* reducer event; `null` when a
 * timestamp does not parse or the kind has no reducer transition
 * (`ClosureQuarantined` is informational: the log records it, no state moves).
 *
 * @example remoteEventFromWire(body)?.kind === 'RemoteDispatchAck'
 */
export function remoteEventFromWire(e: AgentEvent): RemoteHostEvent | null {
  const t = (s: string): number | null => parseRfc3339(s);
  const seq = e.seq;
  switch (e.kind) {
    case 'DispatchAck': {
      const at = t(e.received_at);
      return at === null
        ? null
        : {
            kind: 'RemoteDispatchAck',
            seq,
            currentClosureAtDispatch: e.current_closure_at_dispatch,
            at,
          };
    }
    case 'DispatchReject': {
      const at = t(e.rejected_at);
      return at === null
        ? null
        : {
            kind: 'RemoteDispatchReject',
            seq,
            reason: e.reason as DispatchRejectReason,
            detail: e.detail,
            at,
          };
    }
    case 'ActivationStarted': {
      const at = t(e.started_at);
      return at === null
        ? null
        : { kind: 'RemoteActivationStarted', seq, switchMethod: e.switch_method, at };
    }
    case 'ActivationComplete': {
      const at = t(e.completed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteActivationComplete',
            seq,
            observed: e.observed_current_closure,
            exitCode: e.switch_exit_code,
            at,
          };
    }
    case 'ActivationFailed': {
      const at = t(e.failed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteActivationFailed',
            seq,
            exitCode: e.switch_exit_code,
            stderrTail: e.stderr_tail,
            at,
          };
    }
    case 'ActivationDeferred': {
      const at = t(e.deferred_at);
      return at === null
        ? null
        : {
            kind: 'RemoteActivationDeferred',
            seq,
            component: e.component as DeferredComponent,
            at,
          };
    }
    case 'ProbeTopologyDeclared': {
      const at = t(e.declared_at);
      const probes = e.probes.map((p) => ({
        name: p.name,
        kind: p.kind as ProbeKind,
        mode: p.mode as ProbeMode,
      }));
      return at === null ? null : { kind: 'RemoteProbeTopologyDeclared', seq, probes, at };
    }
    case 'ProbeObservedFirst': {
      const at = t(e.observed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteProbeObservedFirst',
            seq,
            name: e.probe_name,
            mode: e.mode as ProbeMode,
            at,
          };
    }
    case 'ProbeResult': {
      const at = t(e.observed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteProbeResult',
            seq,
            name: e.probe_name,
            status: e.status,
            mode: e.mode as ProbeMode,
            failureReason: e.failure_reason,
            at,
          };
    }
    case 'ProbeFailureFirst': {
      const at = t(e.first_failed_at);
      return at === null ? null : { kind: 'RemoteProbeFailureFirst', seq, name: e.probe_name, at };
    }
    case 'Failed': {
      const at = t(e.failed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteFailed',
            seq,
            sustainedDurationSecs: e.sustained_duration_secs,
            failingProbes: e.failing_probes,
            policyApplied: e.policy_applied,
            cause: e.cause ?? 'health',
            at,
          };
    }
    case 'RollbackComplete': {
      const at = t(e.completed_at);
      return at === null
        ? null
        : {
            kind: 'RemoteRollbackComplete',
            seq,
            revertedTo: e.reverted_to_closure,
            exitCode: e.switch_exit_code,
            at,
          };
    }
    case 'Converged': {
      const at = t(e.converged_at);
      return at === null
        ? null
        : { kind: 'RemoteConverged', seq, currentClosure: e.current_closure, at };
    }
    case 'ClosureQuarantined':
      return null;
  }
}
