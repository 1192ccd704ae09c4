// Channel-edge gate (RFC-0002 §4.3, RFC-0008 §3). Owns the cross-channel
// ordering rule: a `{ before, after }` edge holds OpenRollout on `after`
// while `before` has a non-terminal rollout, a release not yet opened, or a
// halted rollout (until the operator resolves it). Predecessors with no
// rollout history are open; Terminal, Superseded and Pruned release.
// Must never open or supersede rollouts itself.
import type { GateBlock } from '../decisions.ts';
import type { FleetView } from '../inputs.ts';
import type { RolloutState } from '../rollout/types.ts';

/** What the planner knows about a predecessor channel this tick. */
export interface ChannelView {
  /** The rollout holding the channel (including one opened this tick). */
  readonly holder: { readonly rolloutId: string; readonly state: RolloutState } | null;
  /** A newer ref the channel has not opened yet (queued or blocked). */
  readonly pendingRef: string | null;
}

/**
 * The channel-edge gate for opening a rollout on `channel`.
 *
 * @example channelEdgeBlock('stable', fleet.channelEdges, (c) => views.get(c))
 */
export function channelEdgeBlock(
  channel: string,
  edges: FleetView['channelEdges'],
  view: (channel: string) => ChannelView | undefined,
): GateBlock | null {
  for (const e of edges) {
    if (e.after !== channel) continue;
    const pred = view(e.before);
    const why = e.reason === null ? '' : ` (${e.reason})`;
    if (pred === undefined) continue;
    if (pred.pendingRef !== null) {
      return {
        gate: 'channel-edges',
        code: 'CHANNEL_EDGE_PREDECESSOR_PENDING',
        reason: `channel ${e.before} must roll out ${pred.pendingRef} first${why}`,
      };
    }
    const h = pred.holder;
    if (h === null) continue;
    if (h.state === 'Failed' || h.state === 'Reverted') {
      return {
        gate: 'channel-edges',
        code: 'CHANNEL_EDGE_PREDECESSOR_HALTED',
        reason: `predecessor channel ${e.before} is halted (${h.rolloutId} ${h.state}); an operator must resolve it${why}`,
      };
    }
    if (h.state === 'Opening' || h.state === 'Active' || h.state === 'Converging') {
      return {
        gate: 'channel-edges',
        code: 'CHANNEL_EDGE_PREDECESSOR_ACTIVE',
        reason: `predecessor channel ${e.before} still rolling out (${h.rolloutId} ${h.state})${why}`,
      };
    }
  }
  return null;
}

/**
 * Channels in an order where every edge predecessor comes first (Kahn's
 * algorithm, ties by name), so decisions taken this tick on a predecessor are
 * visible to its successors. Channels on a cycle (mkFleet rejects cycles)
 * are appended by name.
 *
 * @example channelOrder(['b', 'a'], [{ before: 'b', after: 'a', reason: null }]) // ['b', 'a']
 */
export function channelOrder(
  channels: readonly string[],
  edges: FleetView['channelEdges'],
): string[] {
  const known = new Set(channels);
  const indeg = new Map<string, number>(channels.map((c) => [c, 0]));
  const succ = new Map<string, string[]>();
  for (const e of edges) {
    if (!known.has(e.before) || !known.has(e.after)) continue;
    indeg.set(e.after, (indeg.get(e.after) ?? 0) + 1);
    succ.set(e.before, [...(succ.get(e.before) ?? []), e.after]);
  }
  const ready = channels.filter((c) => indeg.get(c) === 0).sort();
  const out: string[] = [];
  while (ready.length > 0) {
    const c = ready.shift() as string;
    out.push(c);
    for (const s of succ.get(c) ?? []) {
      const d = (indeg.get(s) ?? 0) - 1;
      indeg.set(s, d);
      if (d === 0) {
        ready.push(s);
        ready.sort();
      }
    }
  }
  for (const c of [...channels].sort()) if (!out.includes(c)) out.push(c);
  return out;
}
