// Types of the rollout-level state machine (RFC-0008 §3–§5): the eight
// states, the rollout record (counts, not per-host copies, so one event costs
// O(1) even for a 100,000-host rollout), the book of all rollouts with the
// per-channel active index, the CP-internal rollout events and the rollout
// effects. Must never hold per-host detail the host reducer owns.
import type { HostState, OnHealthFailure } from '../host/types.ts';
import type { EpochMs } from '../time.ts';

/** The eight rollout states of RFC-0008 §3. */
export type RolloutState =
  | 'Opening'
  | 'Active'
  | 'Converging'
  | 'Terminal'
  | 'Reverted'
  | 'Failed'
  | 'Superseded'
  | 'Pruned';

/** Every rollout state (for tables and property tests). */
export const ROLLOUT_STATES: readonly RolloutState[] = [
  'Opening',
  'Active',
  'Converging',
  'Terminal',
  'Reverted',
  'Failed',
  'Superseded',
  'Pruned',
];

/** States that hold the channel (RFC-0002 §4.3: at most one per channel). */
export const CHANNEL_HOLDING_STATES: ReadonlySet<RolloutState> = new Set([
  'Opening',
  'Active',
  'Converging',
  'Terminal',
  'Reverted',
  'Failed',
]);

/** Host counts per host state; a host is counted once, in its latest state. */
export type HostCounts = Readonly<Record<HostState, number>>;

/** One rollout's lifecycle record (the `rollouts` derived view). */
export interface RolloutRecord {
  readonly rolloutId: string;
  readonly channel: string;
  readonly targetRef: string;
  readonly state: RolloutState;
  readonly currentWave: number;
  readonly waveCount: number;
  /** Wave members that joined (were dispatched), by host state. */
  readonly counts: HostCounts;
  /** Failed hosts whose agent applied `halt` (never leave Failed). */
  readonly failedHalted: number;
  /** Failed/Reverted hosts an operator cleared; excluded from the gates. */
  readonly acknowledged: number;
  /** Hosts that joined late, after their wave (offline catch-up). */
  readonly catchUpHosts: readonly string[];
  /** Hosts skipped while offline when their wave was promoted. */
  readonly skipped: readonly string[];
  readonly openedAt: EpochMs;
  /**
   * When the current wave started (opening, or its promotion): the wave's
   * wait for never-seen members is measured from here. Optional because
   * records persisted without it stay loadable; readers fall back to
   * `openedAt`.
   */
  readonly waveStartedAt?: EpochMs;
  readonly lastTransitionAt: EpochMs;
  readonly terminalAt: EpochMs | null;
  readonly supersededAt: EpochMs | null;
  readonly supersededBy: string | null;
  readonly prunedAt: EpochMs | null;
  /** First host failure that halted the rollout, if any. */
  readonly haltedBy: { readonly host: string; readonly policy: OnHealthFailure } | null;
  /**
   * Operator pause: no promotion and no new dispatch until resumed. The
   * operator fields are optional so that records persisted without them stay
   * loadable; absent reads as none.
   */
  readonly paused?: OperatorMark | null;
  /** Operator abort: final, nothing more is promoted or dispatched. */
  readonly aborted?: OperatorMark | null;
  /** Approvals of manual waves, in the order they were given. */
  readonly approvals?: readonly WaveApproval[];
}

/** Who took an operator action, why and when (from the action's event). */
export interface OperatorMark {
  /** The operator's name (its certificate CN without `operator:`). */
  readonly by: string;
  readonly reason: string;
  readonly at: EpochMs;
}

/** An operator's approval of a wave whose signed policy says `approval = "manual"`. */
export interface WaveApproval extends OperatorMark {
  readonly wave: number;
}

/** All rollouts, with the per-channel index of the one holding the channel. */
export interface RolloutBook {
  readonly rollouts: Readonly<Record<string, RolloutRecord>>;
  /** rolloutId holding each channel (absent/`null`: none). */
  readonly activeByChannel: Readonly<Record<string, string | null>>;
}

/** The empty book. */
export const EMPTY_BOOK: RolloutBook = Object.freeze({ rollouts: {}, activeByChannel: {} });

/** CP-internal rollout events (RFC-0008 §4); never on the agent wire. */
export type RolloutEvent =
  | {
      readonly kind: 'RolloutOpened';
      readonly rolloutId: string;
      readonly channel: string;
      readonly targetRef: string;
      readonly waveCount: number;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'HostJoined';
      readonly rolloutId: string;
      readonly hostname: string;
      readonly wave: number;
      /** Late join of a host skipped while offline (RFC-0002 §5.2). */
      readonly catchUp: boolean;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'HostStateChanged';
      readonly rolloutId: string;
      readonly hostname: string;
      readonly from: HostState;
      readonly to: HostState;
      /** The agent's branch when `to` is Failed. */
      readonly policyApplied: OnHealthFailure | null;
      /** The host's target, for the quarantine insert on Reverted. */
      readonly targetClosure: string;
      /** event_log seq of the triggering agent event, when known. */
      readonly eventLogSeq: number | null;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'WaveAdvanced';
      readonly rolloutId: string;
      readonly fromWave: number;
      readonly toWave: number;
      /** Offline wave members skipped by this promotion. */
      readonly skipped: readonly string[];
      /** Skipped members that were dispatched but never acked (left Pending). */
      readonly skippedPending: readonly string[];
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'RolloutTerminal';
      readonly rolloutId: string;
      /** Last-wave members dispatched but never acked (offline), set aside. */
      readonly skippedPending: readonly string[];
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'SuccessorOpened';
      readonly supersededRolloutId: string;
      readonly successorRolloutId: string;
      readonly at: EpochMs;
    }
  | { readonly kind: 'RetentionExpired'; readonly rolloutId: string; readonly at: EpochMs }
  | {
      readonly kind: 'OperatorPaused' | 'OperatorResumed' | 'OperatorAborted';
      readonly rolloutId: string;
      readonly operator: string;
      readonly reason: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'WaveApproved';
      readonly rolloutId: string;
      readonly wave: number;
      readonly operator: string;
      readonly reason: string;
      readonly at: EpochMs;
    }
  | {
      readonly kind: 'OperatorClearance';
      readonly rolloutId: string;
      readonly operator: string;
      readonly reason: string;
      readonly at: EpochMs;
    };

/** Rollout effects (RFC-0008 §5). Delays are in milliseconds. */
export type RolloutEffect =
  | {
      readonly kind: 'RecordRolloutTransition';
      readonly rolloutId: string;
      readonly from: RolloutState | null;
      readonly to: RolloutState;
      readonly at: EpochMs;
    }
  | { readonly kind: 'UpdateCurrentWave'; readonly rolloutId: string; readonly wave: number }
  | {
      readonly kind: 'InsertQuarantineFromRollout';
      readonly channel: string;
      readonly closureHash: string;
      readonly triggeringEventLogSeq: number | null;
    }
  | { readonly kind: 'SchedulePruning'; readonly rolloutId: string; readonly delayMs: number };

/** Options of the rollout reducer. */
export interface RolloutOptions {
  /** How long a Superseded rollout is kept before RetentionExpired is legal. */
  readonly retentionMs: number;
}

/**
 * Canonical rollout id, `<channel>@<channelRef>` (RFC-0008 §6.3).
 *
 * @example rolloutIdOf('stable', 'a1b2c3') === 'stable@a1b2c3'
 */
export function rolloutIdOf(channel: string, channelRef: string): string {
  return `${channel}@${channelRef}`;
}
