// Wire payloads core produces (RFC-0005 §4, contracts/agent-event.nix and
// contracts/dispatch.nix). Owns nothing but the closed, precisely typed view
// of the payloads carried by `LocalEmitEvent` and `RemoteQueueDispatch`
// effects. The generated contract types are open (index signatures), which
// defeats excess-property checks when building bodies, so core builds these
// closed shapes and the compile-time checks at the bottom prove every one is
// assignable to the generated `AgentEvent` / `Dispatch`. Must never add
// fields the contract does not declare.
import type { AgentEvent, Dispatch } from '../contracts/index.ts';

/** Probe mode (RFC-0007 §3.3): only `enforce` probes gate. */
export type ProbeMode = 'enforce' | 'observe' | 'disabled';
/** Probe result status; `Unknown` is never reported on the wire. */
export type ProbeStatus = 'Pass' | 'Fail';
/** What failed a host: its health gate, or an operator's abort of the rollout. */
export type FailedCause = 'health' | 'operator-abort';
/** Probe kind (RFC-0007). */
export type ProbeKind = 'http' | 'tcp' | 'exec' | 'evidence' | 'health-gate';
/** Reasons an agent refuses a dispatch (contracts/agent-event.nix). */
export type DispatchRejectReason =
  | 'ManifestUnavailable'
  | 'ManifestInvalid'
  | 'NotInManifest'
  | 'TargetMismatch'
  | 'Stale'
  | 'Quarantined'
  | 'ClosureUnavailable'
  | 'ClosureUntrusted';
/** Component that made an activation defer to the next boot. */
export type DeferredComponent = 'dbus' | 'systemd' | 'kernel' | 'init';

/** One declared probe (ProbeTopologyDeclared). */
export type WireProbeDecl = {
  readonly name: string;
  readonly kind: ProbeKind;
  readonly mode: ProbeMode;
};

/** Per-control result of an evidence probe. */
export type WireProbeSubResult = {
  readonly control_id: string;
  readonly status: ProbeStatus;
  readonly framework: string;
  readonly article: string | null;
};

type WireEventBase = {
  readonly rollout_id: string;
  readonly hostname: string;
  readonly seq: number;
};

/** Body of `POST /v1/agent/events` (RFC-0005 §4.2), discriminated by `kind`. */
export type WireAgentEvent = WireEventBase &
  (
    | {
        readonly kind: 'DispatchAck';
        readonly received_at: string;
        readonly current_closure_at_dispatch: string | null;
      }
    | {
        readonly kind: 'DispatchReject';
        readonly rejected_at: string;
        readonly reason: DispatchRejectReason;
        readonly detail: string | null;
        readonly target_closure: string | null;
      }
    | {
        readonly kind: 'ActivationStarted';
        readonly started_at: string;
        readonly switch_method: string;
      }
    | {
        readonly kind: 'ActivationComplete';
        readonly completed_at: string;
        readonly observed_current_closure: string;
        readonly switch_exit_code: number;
      }
    | {
        readonly kind: 'ActivationFailed';
        readonly failed_at: string;
        readonly switch_exit_code: number | null;
        readonly stderr_tail: string;
      }
    | {
        readonly kind: 'ActivationDeferred';
        readonly component: DeferredComponent;
        readonly deferred_at: string;
      }
    | {
        readonly kind: 'ProbeTopologyDeclared';
        readonly declared_at: string;
        readonly probes: WireProbeDecl[];
      }
    | {
        readonly kind: 'ProbeObservedFirst';
        readonly observed_at: string;
        readonly probe_name: string;
        readonly mode: ProbeMode;
      }
    | {
        readonly kind: 'ProbeResult';
        readonly probe_name: string;
        readonly status: ProbeStatus;
        readonly observed_at: string;
        readonly failure_reason: string | null;
        readonly mode: ProbeMode;
        readonly sub_results: WireProbeSubResult[] | null;
      }
    | {
        readonly kind: 'ProbeFailureFirst';
        readonly probe_name: string;
        readonly first_failed_at: string;
      }
    | {
        readonly kind: 'Failed';
        readonly failed_at: string;
        readonly sustained_duration_secs: number;
        readonly failing_probes: string[];
        readonly policy_applied: 'halt' | 'rollback-and-halt';
        readonly cause: FailedCause;
      }
    | {
        readonly kind: 'RollbackComplete';
        readonly completed_at: string;
        readonly reverted_to_closure: string;
        readonly switch_exit_code: number;
      }
    | {
        readonly kind: 'Converged';
        readonly converged_at: string;
        readonly current_closure: string;
      }
    | {
        readonly kind: 'ClosureQuarantined';
        readonly closure: string;
        readonly quarantined_at: string;
        readonly failure_count: number;
        readonly last_failure_at: string;
      }
  );

/** The Dispatch message queued for the agent's long-poll (RFC-0005 §4.1). */
export type WireDispatch = {
  readonly kind: 'Dispatch';
  readonly rollout_id: string;
  readonly target_closure: string;
  readonly channel: string;
  readonly wave: number;
  readonly soak_due_at: string;
  readonly confirm_deadline: string;
  readonly issued_at: string;
  readonly seq: number;
};

// Compile-time proof that the closed shapes fit the generated contract types.
type Fits<A, B> = [A] extends [B] ? true : never;
/** @internal */
export const WIRE_EVENT_FITS_CONTRACT: Fits<WireAgentEvent, AgentEvent> = true;
/** @internal */
export const WIRE_DISPATCH_FITS_CONTRACT: Fits<WireDispatch, Dispatch> = true;
