// Aggregation rules of the rollout machine: what a rollout's state is, given
// its host counts and wave progress (RFC-0008 §3 table), and the invariants
// that must hold in each state. Must never look at individual hosts.
import type { HostState } from '../host/types.ts';
import type { HostCounts, RolloutBook, RolloutRecord, RolloutState } from './types.ts';
import { CHANNEL_HOLDING_STATES } from './types.ts';

/** Zero counts. */
export const ZERO_COUNTS: HostCounts = Object.freeze({
  Pending: 0,
  Activating: 0,
  Deferred: 0,
  Soaking: 0,
  Converged: 0,
  Failed: 0,
  Reverted: 0,
});

/** Hosts not yet settled: dispatched but neither Converged nor failed. */
export function unsettled(c: HostCounts): number {
  return c.Pending + c.Activating + c.Deferred + c.Soaking;
}

/** Hosts that joined, whatever their state. */
export function joined(c: HostCounts): number {
  let n = 0;
  for (const k of Object.keys(c) as HostState[]) n += c[k];
  return n;
}

/**
 * The state a live rollout (Opening/Active/Converging) moves to after its
 * counts changed. Failed and Reverted are sticky until operator clearance or
 * supersession; Terminal is entered only by an explicit RolloutTerminal.
 *
 * - any host Failed under `halt` → Failed (the rollout freezes);
 * - a host Reverted, nothing unsettled and no Failed host still rolling
 *   back → Reverted (so "no host in flight on the original target" holds);
 * - otherwise Opening (nobody joined), Active (someone unsettled or a
 *   rollback under way), Converging (every joined host Converged).
 */
export function deriveLiveState(r: RolloutRecord): RolloutState {
  const c = r.counts;
  if (r.failedHalted > 0) return 'Failed';
  if (c.Reverted > 0 && unsettled(c) === 0 && c.Failed === 0) return 'Reverted';
  // Hosts cleared by an operator still joined: the rollout is past Opening.
  if (joined(c) === 0 && r.acknowledged === 0) return 'Opening';
  if (unsettled(c) > 0 || c.Failed > 0 || c.Reverted > 0) return 'Active';
  return 'Converging';
}

/**
 * Invariant violations of one rollout record (RFC-0008 §3): Terminal ⇒ every
 * joined host Converged and the last wave reached; Reverted ⇒ some host
 * Reverted and none unsettled; counts never negative.
 */
export function rolloutInvariantViolations(r: RolloutRecord): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(r.counts)) if (v < 0) out.push(`negative ${k} count`);
  if (r.state === 'Terminal') {
    if (unsettled(r.counts) + r.counts.Failed + r.counts.Reverted > 0) {
      out.push('Terminal but a joined host is not Converged');
    }
    if (r.currentWave !== r.waveCount - 1 && r.waveCount > 0) {
      out.push('Terminal before the last wave');
    }
  }
  if (r.state === 'Reverted') {
    if (r.counts.Reverted === 0 && r.acknowledged === 0)
      out.push('Reverted without a Reverted host');
    if (unsettled(r.counts) > 0) out.push('Reverted while a host is in flight');
  }
  if (r.currentWave < 0 || (r.waveCount > 0 && r.currentWave >= r.waveCount)) {
    out.push('current wave out of range');
  }
  return out;
}

/** Book-level invariant: at most one rollout holds each channel. */
export function bookInvariantViolations(book: RolloutBook): string[] {
  const out: string[] = [];
  const holding = new Map<string, string[]>();
  for (const r of Object.values(book.rollouts)) {
    if (!CHANNEL_HOLDING_STATES.has(r.state)) continue;
    const list = holding.get(r.channel) ?? [];
    list.push(r.rolloutId);
    holding.set(r.channel, list);
    if (book.activeByChannel[r.channel] !== r.rolloutId) {
      out.push(`${r.rolloutId} holds ${r.channel} but is not its active rollout`);
    }
  }
  for (const [channel, ids] of holding) {
    if (ids.length > 1) out.push(`channel ${channel} has ${ids.length} active rollouts`);
  }
  for (const r of Object.values(book.rollouts)) out.push(...rolloutInvariantViolations(r));
  return out;
}
