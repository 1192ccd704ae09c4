// Offline gate (RFC-0002 §5.2, RFC-0005 §4.3). Owns the liveness rule: a host
// is offline after `missedHeartbeatsOffline` heartbeat intervals without a
// heartbeat, or when it never sent one. Offline hosts are skipped, never
// block a wave, and are dispatched to the channel's current target when they
// return. Must never look at rollout state.
import type { GateBlock } from '../decisions.ts';
import type { HostLiveness } from '../inputs.ts';
import type { CoreTimings, EpochMs } from '../time.ts';
import { toRfc3339 } from '../time.ts';

/**
 * Whether a host counts as offline at `now`.
 *
 * @example isOffline(undefined, now, DEFAULT_TIMINGS) === true
 */
export function isOffline(
  liveness: HostLiveness | undefined,
  now: EpochMs,
  timings: CoreTimings,
): boolean {
  if (liveness === undefined) return true;
  return (
    now - liveness.lastHeartbeatAt > timings.heartbeatIntervalMs * timings.missedHeartbeatsOffline
  );
}

/**
 * The offline gate: `null` when the host is online, else a skip reason.
 *
 * @example offlineBlock('laptop-01', liveness, now, timings)?.code === 'OFFLINE'
 */
export function offlineBlock(
  host: string,
  liveness: HostLiveness | undefined,
  now: EpochMs,
  timings: CoreTimings,
): GateBlock | null {
  if (!isOffline(liveness, now, timings)) return null;
  const since =
    liveness === undefined ? 'never seen' : `last heartbeat ${toRfc3339(liveness.lastHeartbeatAt)}`;
  return {
    gate: 'offline',
    code: 'OFFLINE',
    reason: `${host} offline (${since}); skipped, will be dispatched to the current target when it returns`,
  };
}
