// Types of the per-host, per-rollout state machine (RFC-0005 §3, §5). Owns
// the seven host states, the host record (the HostRolloutRecord of §5 in
// camelCase, all timestamps agent-supplied epoch ms), the Local* (agent side)
// and Remote* (CP mirror) events and the reducer policy. Must never hold
// anything that is not derivable from the events folded into it.
import type { EpochMs } from '../time.ts';
import type {
  DeferredComponent,
  DispatchRejectReason,
  FailedCause,
  ProbeKind,
  ProbeMode,
  ProbeStatus,
  WireProbeSubResult,
} from '../wire.ts';

/** The seven host states of RFC-0005 §3, no aliases. */
export type HostState =
  'Pending' | 'Activating' | 'Deferred' | 'Soaking' | 'Converged' | 'Failed' | 'Reverted';

/** Every host state, in lifecycle order (for tables and property tests). */
export const HOST_STATES: readonly HostState[] = [
  'Pending',
  'Activating',
  'Deferred',
  'Soaking',
  'Converged',
  'Failed',
  'Reverted',
];

/**
 * The manifest's failure policy, with the contract values. The book's
 * RFC-0005 writes `halt-only` in the Failed event's `policy_applied`; that is
 * this project's `halt` ({@link parseOnHealthFailure} accepts both spellings).
 */
export type OnHealthFailure = 'halt' | 'rollback-and-halt';

/** A probe the agent committed to run for this rollout (RFC-0007 §8.1). */
export interface ProbeDecl {
  readonly name: string;
  readonly kind: ProbeKind;
  readonly mode: ProbeMode;
}

/** Latest knowledge about one probe for one (rollout, host) (RFC-0005 §5). */
export interface ProbeRecord {
  readonly status: ProbeStatus;
  readonly mode: ProbeMode;
  readonly firstObservedAt: EpochMs;
  readonly lastObservedAt: EpochMs;
  readonly lastPassAt: EpochMs | null;
  readonly failureReason: string | null;
}

/**
 * One host's participation in one rollout: RFC-0005 §5's HostRolloutRecord.
 * Identical on the agent and in the CP mirror for the same event sequence.
 */
export interface HostRolloutState {
  readonly rolloutId: string;
  readonly hostname: string;
  readonly channel: string;
  readonly wave: number;
  readonly state: HostState;
  readonly targetClosure: string;
  readonly currentClosureAtDispatch: string | null;
  readonly currentClosure: string | null;
  readonly revertedTo: string | null;
  readonly dispatchedAt: EpochMs;
  readonly confirmDeadline: EpochMs;
  readonly soakDueAt: EpochMs;
  /** Soak length carried by the dispatch (soakDueAt − issuedAt). */
  readonly soakMs: number;
  readonly dispatchAckedAt: EpochMs | null;
  readonly activationStartedAt: EpochMs | null;
  readonly activationCompletedAt: EpochMs | null;
  readonly activationFailedAt: EpochMs | null;
  readonly deferredAt: EpochMs | null;
  readonly deferredComponent: DeferredComponent | null;
  readonly probeTopology: readonly ProbeDecl[] | null;
  readonly probeObservedFirstAt: EpochMs | null;
  readonly probeFailureFirstAt: EpochMs | null;
  readonly convergedAt: EpochMs | null;
  readonly failedAt: EpochMs | null;
  readonly failureReason: string | null;
  readonly rejectReason: DispatchRejectReason | null;
  readonly policyApplied: OnHealthFailure | null;
  readonly revertedAt: EpochMs | null;
  /** Probe records since the last activation, by probe name. */
  readonly probes: Readonly<Record<string, ProbeRecord>>;
  /**
   * Start of the current sustained-failure window (agent side: the earliest
   * first-fail time among enforce probes currently failing), `null` when no
   * enforce probe is failing.
   */
  readonly failingSince: EpochMs | null;
  /** Enforce probes whose latest result after convergence is Fail. */
  readonly outstandingFailures: readonly string[];
  /** Last seq accepted (CP) or emitted (agent) for this (host, rollout). */
  readonly lastEventSeq: number;
}

/** Policy the reducer reads: from the signed manifest plus timing constants. */
export interface HostPolicy {
  readonly onHealthFailure: OnHealthFailure;
  readonly sustainedFailureMs: number;
  readonly clockSkewSlackMs: number;
}

/** The fields of a Dispatch, as core sees them (timestamps as epoch ms). */
export interface DispatchFields {
  readonly rolloutId: string;
  readonly hostname: string;
  readonly channel: string;
  readonly wave: number;
  readonly targetClosure: string;
  readonly soakDueAt: EpochMs;
  readonly confirmDeadline: EpochMs;
  readonly issuedAt: EpochMs;
  readonly seq: number;
}

/**
 * Refusals the agent decides before the reducer can judge a dispatch: the
 * signed manifest could not be had or did not verify, or the closure could
 * not be realised with a trusted signature. The reducer turns them into the
 * DispatchReject (RFC-0005 §4.1) like its own refusals.
 */
export type AgentRefusalReason = Extract<
  DispatchRejectReason,
  'ManifestUnavailable' | 'ManifestInvalid' | 'Stale' | 'ClosureUnavailable' | 'ClosureUntrusted'
>;

/** A pre-reducer refusal and its human-readable detail. */
export interface AgentRefusal {
  readonly reason: AgentRefusalReason;
  readonly detail: string;
}

/** Agent side: events the agent runtime synthesises from local activity. */
export type LocalHostEvent =
  | {
      readonly kind: 'DispatchReceived';
      readonly dispatch: DispatchFields;
      /** `manifest.hostSet[hostname].targetClosure`, `null` when absent. */
      readonly manifestTarget: string | null;
      /** What /run/current-system points at: the rollback target. */
      readonly currentClosure: string | null;
      /** Whether the agent's own quarantine holds the target. */
      readonly locallyQuarantined: boolean;
      /**
       * A refusal the agent already decided (manifest or closure problem);
       * absent or `null` when the manifest verified and the closure is
       * realised. It takes precedence over the reducer's own checks.
       */
      readonly refusal?: AgentRefusal | null;
      readonly at: EpochMs;
    }
  /**
   * The agent's local quarantine holds this record's target (book §I.7):
   * reported as ClosureQuarantined; no state change.
   */
  | {
      readonly kind: 'LocalClosureQuarantined';
      readonly closure: string;
      /** First failure of the closure inside the current quarantine window. */
      readonly quarantinedAt: EpochMs;
      readonly failureCount: number;
      readonly lastFailureAt: EpochMs;
      readonly at: EpochMs;
    }
  | { readonly kind: 'LocalActivationStarted'; readonly switchMethod: string; readonly at: EpochMs }
  | {
      readonly kind: 'LocalActivationCompleted';
      readonly observed: string;
      readonly exitCode: number;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'LocalActivationFailed';
      readonly exitCode: number | null;
      readonly stderrTail: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'LocalActivationDeferred';
      readonly component: DeferredComponent;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'LocalProbeTopologyDeclared';
      readonly probes: readonly ProbeDecl[];
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'LocalProbeObserved';
      readonly name: string;
      readonly status: ProbeStatus;
      readonly mode: ProbeMode;
      readonly failureReason: string | null;
      readonly subResults: WireProbeSubResult[] | null;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'LocalRollbackCompleted';
      readonly revertedTo: string;
      readonly exitCode: number;
      readonly at: EpochMs;
    }
  /**
   * The agent (re)started: what it observes of the running system, judged
   * against the persisted record (boot recovery, host/boot.ts).
   */
  | {
      readonly kind: 'LocalBootObserved';
      /** What /run/current-system points at now. */
      readonly current: string | null;
      /** The detached switch the previous process launched and persisted, if any. */
      readonly inFlight: {
        readonly kind: 'switch' | 'rollback';
        readonly closure: string;
        readonly startedAt: EpochMs;
      } | null;
      /** The backend's `switch_method`, for an ActivationStarted the CP never got. */
      readonly switchMethod: string;
      readonly at: EpochMs;
    }
  /** The agent's own timer: re-evaluates sustained failure and soak. */
  | { readonly kind: 'LocalTick'; readonly at: EpochMs }
  /**
   * The CP's heartbeat reply lists `rolloutId` as aborted by an operator.
   * Advisory: host/abort.ts decides whether it applies to this record.
   */
  | { readonly kind: 'LocalRolloutAborted'; readonly rolloutId: string; readonly at: EpochMs }
  /**
   * The CP asked for a replay of this record's rollout and the agent has no
   * event left to send (its journal is gone; the CP lost its database): see
   * host/reannounce.ts. `observed` is what /run/current-system points at now.
   */
  | {
      readonly kind: 'LocalReannounce';
      readonly observed: string | null;
      /** The record's `lastEventSeq` when the ask was judged: a stale ask is refused. */
      readonly basisSeq: number;
      readonly at: EpochMs;
    };

/** CP side: the mirror of RFC-0005 §4.2 wire events (plus the dispatch). */
export type RemoteHostEvent =
  | { readonly kind: 'RemoteDispatchIssued'; readonly dispatch: DispatchFields }
  | {
      readonly kind: 'RemoteDispatchAck';
      /** `null` when synthesised by the CP heartbeat handler (orphan confirm). */
      readonly seq: number | null;
      readonly currentClosureAtDispatch: string | null;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteDispatchReject';
      readonly seq: number;
      readonly reason: DispatchRejectReason;
      readonly detail: string | null;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteActivationStarted';
      readonly seq: number;
      readonly switchMethod: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteActivationComplete';
      /** `null` when synthesised by the CP heartbeat handler (Deferred → Soaking). */
      readonly seq: number | null;
      readonly observed: string;
      readonly exitCode: number;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteActivationFailed';
      readonly seq: number;
      readonly exitCode: number | null;
      readonly stderrTail: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteActivationDeferred';
      readonly seq: number;
      readonly component: DeferredComponent;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteProbeTopologyDeclared';
      readonly seq: number;
      readonly probes: readonly ProbeDecl[];
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteProbeObservedFirst';
      readonly seq: number;
      readonly name: string;
      readonly mode: ProbeMode;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteProbeResult';
      readonly seq: number;
      readonly name: string;
      readonly status: ProbeStatus;
      readonly mode: ProbeMode;
      readonly failureReason: string | null;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteProbeFailureFirst';
      readonly seq: number;
      readonly name: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteFailed';
      readonly seq: number;
      readonly sustainedDurationSecs: number;
      readonly failingProbes: readonly string[];
      readonly policyApplied: OnHealthFailure;
      /** Absent means `health` (agents that predate the field). */
      readonly cause?: FailedCause;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteRollbackComplete';
      readonly seq: number;
      readonly revertedTo: string;
      readonly exitCode: number;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RemoteConverged';
      readonly seq: number;
      readonly currentClosure: string;
      readonly at: EpochMs;
    };

/** Every event the host reducer accepts. */
export type HostEvent = LocalHostEvent | RemoteHostEvent;

/**
 * Maps a failure-policy string to the contract value; accepts the book's
 * `halt-only` spelling. Returns `null` for anything else.
 *
 * @example parseOnHealthFailure('halt-only') === 'halt'
 */
export function parseOnHealthFailure(text: string): OnHealthFailure | null {
  if (text === 'halt' || text === 'halt-only') return 'halt';
  if (text === 'rollback-and-halt') return 'rollback-and-halt';
  return null;
}
