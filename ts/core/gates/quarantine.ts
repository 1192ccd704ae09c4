// Quarantine gate (RFC-0005 §6, RFC-0008 §6.4). Owns two rules: a closure
// quarantined on a channel (after a RollbackComplete) is never dispatched on
// that channel, and a quarantine entry is cleared once it is older than
// QUARANTINE_WINDOW and no current target on the channel names it. Must never
// insert quarantines: the host and rollout reducers do that.
import type { GateBlock } from '../decisions.ts';
import type { QuarantineEntry } from '../inputs.ts';
import type { EpochMs } from '../time.ts';
import { toRfc3339 } from '../time.ts';

/** Quarantines by channel, then closure. */
export type QuarantineSet = ReadonlyMap<string, ReadonlyMap<string, QuarantineEntry>>;

/**
 * The quarantine gate: `null` when `target` may be dispatched on `channel`.
 *
 * @example quarantineBlock(q, 'stable', closure)?.code === 'QUARANTINED'
 */
export function quarantineBlock(
  quarantines: QuarantineSet,
  channel: string,
  target: string,
): GateBlock | null {
  const entry = quarantines.get(channel)?.get(target);
  if (entry === undefined) return null;
  return {
    gate: 'quarantine',
    code: 'QUARANTINED',
    reason: `target ${target} quarantined on ${channel} since ${toRfc3339(entry.quarantinedAt)} after a rollback; publish a new release`,
  };
}

/**
 * Quarantine entries of `channel` that may be cleared: older than the window
 * and not the target of any host in the channel's current rollout.
 *
 * @example staleQuarantines(q, 'stable', new Set([current]), now, window)
 */
export function staleQuarantines(
  quarantines: QuarantineSet,
  channel: string,
  currentTargets: ReadonlySet<string>,
  now: EpochMs,
  windowMs: number,
): string[] {
  const out: string[] = [];
  for (const [closure, entry] of quarantines.get(channel) ?? []) {
    if (now - entry.quarantinedAt >= windowMs && !currentTargets.has(closure)) out.push(closure);
  }
  return out.sort();
}
