// Output types of the planner (RFC-0006 §4.1 PlanAction, RFC-0002 §2
// outputs). Owns the action vocabulary the CP applier interprets; must never
// carry behaviour.
import type { Decision } from '../decisions.ts';
import type { EpochMs } from '../time.ts';

/** What the CP should do next; the applier turns actions into events. */
export type PlanAction =
  | {
      readonly kind: 'OpenRollout';
      readonly rolloutId: string;
      readonly channel: string;
      readonly targetRef: string;
      readonly waveCount: number;
      /** The rollout this one supersedes (SuccessorOpened first), if any. */
      readonly supersedes: string | null;
      /**
       * Set when the rollout opens paused by the control plane (the first
       * rollout of a channel on this database while operators are declared):
       * the reason recorded with the pause.
       */
      readonly pausedOnOpen?: string | null;
    }
  | {
      readonly kind: 'QueueDispatch';
      readonly rolloutId: string;
      readonly hostname: string;
      readonly channel: string;
      readonly wave: number;
      readonly targetClosure: string;
      readonly issuedAt: EpochMs;
      readonly soakDueAt: EpochMs;
      readonly confirmDeadline: EpochMs;
      /** Late dispatch of a host skipped while offline. */
      readonly catchUp: boolean;
    }
  | {
      readonly kind: 'PromoteWave';
      readonly rolloutId: string;
      readonly fromWave: number;
      readonly toWave: number;
      readonly skipped: readonly string[];
      readonly skippedPending: readonly string[];
    }
  | {
      readonly kind: 'MarkRolloutTerminal';
      readonly rolloutId: string;
      readonly channel: string;
      readonly skippedPending: readonly string[];
    }
  | { readonly kind: 'ClearStaleQuarantine'; readonly channel: string; readonly closure: string }
  | { readonly kind: 'PruneRollout'; readonly rolloutId: string };

/** Result of one planning tick. */
export interface PlanResult {
  readonly actions: readonly PlanAction[];
  readonly decisions: readonly Decision[];
}
