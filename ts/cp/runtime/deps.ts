// What the mutator's command handlers need besides the state and the batch:
// clock-free timing policy, logging, metrics and the tick trigger. Owns the
// host policy and core timings derived from the CP configuration.
import { parseOnHealthFailure, type CoreTimings, type HostPolicy } from '../../core/index.ts';
import type { CpTimings } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type { CpState } from './state.ts';

/** Dependencies of the command handlers. */
export interface RuntimeDeps {
  readonly state: CpState;
  readonly log: Logger;
  readonly metrics: CpMetrics;
  readonly timings: CpTimings;
  readonly coreTimings: CoreTimings;
  /**
   * Asks for a reconcile tick soon (debounced). `rolloutId`: only that
   * rollout's picture may have changed (a host event); without it, anything
   * may have.
   */
  requestTick(reason: string, rolloutId?: string): void;
  /** Wakes the long-polls of a host (called after a commit). */
  notifyDispatch(hostname: string): void;
  /**
   * `--notify-held-after`: a tick stages a `rollout_held` notification for
   * a wave older than this (absent or null: never).
   */
  readonly notifyHeldAfterMs?: number | null;
}

/** The core's timing constants from the CP configuration. */
export function coreTimingsOf(t: CpTimings): CoreTimings {
  return Object.freeze({
    sustainedFailureMs: t.sustainedFailureMs,
    quarantineWindowMs: t.quarantineWindowMs,
    heartbeatIntervalMs: t.heartbeatIntervalMs,
    missedHeartbeatsOffline: t.missedHeartbeatsOffline,
    clockSkewSlackMs: t.clockSkewSlackMs,
    confirmWindowMs: t.confirmWindowMs,
    rolloutRetentionMs: t.rolloutRetentionMs,
  });
}

/**
 * The host reducer policy of a rollout: the signed manifest's
 * onHealthFailure plus timing constants (rollback-and-halt when the manifest
 * is no longer held, the contract default).
 */
export function policyOf(deps: RuntimeDeps, rolloutId: string): HostPolicy {
  const m = deps.state.manifestValues.get(rolloutId);
  return {
    onHealthFailure: (m ? parseOnHealthFailure(m.onHealthFailure) : null) ?? 'rollback-and-halt',
    sustainedFailureMs: deps.timings.sustainedFailureMs,
    clockSkewSlackMs: deps.timings.clockSkewSlackMs,
  };
}
