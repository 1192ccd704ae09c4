// Effect vocabulary (RFC-0006 §9 for the host reducer, RFC-0008 §5 for the
// rollout reducer). Owns the data shapes runtimes interpret; must never
// contain behaviour. Agent runtimes execute Local* effects, the CP runtime
// Remote* ones; the shared ones are handled by both.
import type { EpochMs } from './time.ts';
import type { HostState } from './host/types.ts';
import type { WireAgentEvent, WireDispatch } from './wire.ts';

/** Log level of an {@link Effect} `EmitLog`. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Effects of the host reducer: 5 agent-only, 5 CP-only, 3 shared. */
export type Effect =
  // Agent-only.
  | { readonly kind: 'LocalFireSwitch'; readonly target: string }
  | { readonly kind: 'LocalFireRollbackTo'; readonly closure: string }
  /** Forget probe results and restart the probes; `declare`: announce the topology. */
  | { readonly kind: 'LocalResetProbeCache'; readonly declare: boolean }
  /** Keep polling the switch the previous agent process launched (boot recovery). */
  | { readonly kind: 'LocalResumeActivation' }
  | { readonly kind: 'LocalEmitEvent'; readonly payload: WireAgentEvent; readonly durable: boolean }
  // CP-only.
  | { readonly kind: 'RemoteQueueDispatch'; readonly host: string; readonly payload: WireDispatch }
  | { readonly kind: 'RemoteInsertQuarantine'; readonly channel: string; readonly closure: string }
  | {
      readonly kind: 'RemoteClearStaleQuarantine';
      readonly channel: string;
      readonly closure: string;
    }
  | {
      readonly kind: 'RemoteOpenRolloutRecord';
      readonly rollout: string;
      readonly channel: string;
      readonly targetRef: string;
    }
  | { readonly kind: 'RemoteAppendEventLog'; readonly host: string; readonly event: unknown }
  // Shared.
  | {
      readonly kind: 'RecordTransition';
      readonly host: string;
      readonly rollout: string;
      /** `null` when the record is created. */
      readonly from: HostState | null;
      readonly to: HostState;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'EmitMetric';
      readonly name: string;
      readonly labels: Readonly<Record<string, string>>;
      readonly value: number;
    }
  | {
      readonly kind: 'EmitLog';
      readonly level: LogLevel;
      readonly target: string;
      readonly message: string;
      readonly fields: Readonly<Record<string, string>>;
    };

/** Effect kinds only an agent runtime may execute. */
export const AGENT_ONLY_EFFECTS: ReadonlySet<Effect['kind']> = new Set([
  'LocalFireSwitch',
  'LocalFireRollbackTo',
  'LocalResetProbeCache',
  'LocalResumeActivation',
  'LocalEmitEvent',
]);

/** Effect kinds only the CP runtime may execute. */
export const CP_ONLY_EFFECTS: ReadonlySet<Effect['kind']> = new Set([
  'RemoteQueueDispatch',
  'RemoteInsertQuarantine',
  'RemoteClearStaleQuarantine',
  'RemoteOpenRolloutRecord',
  'RemoteAppendEventLog',
]);
