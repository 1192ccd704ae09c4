// Host-edge gate (RFC-0002 §4.1). Owns the rollout-local ordering rule: a
// host is not dispatched while any declared predecessor (`before`) that is a
// member of the same rollout is not Converged in it. Edges naming hosts
// outside the rollout are ignored (cross-rollout ordering is a non-goal).
// Must never consult other rollouts.
import type { GateBlock } from '../decisions.ts';
import type { FleetView } from '../inputs.ts';
import type { HostRolloutState } from '../host/types.ts';

/** Predecessors per successor host, restricted to one rollout's members. */
export type PredecessorIndex = ReadonlyMap<string, readonly string[]>;

/**
 * Indexes `edges` for one rollout: successor → predecessors, both members.
 *
 * @example indexPredecessors(fleet.edges, new Map([['app-01', 1], ['db-01', 0]]))
 */
export function indexPredecessors(
  edges: FleetView['edges'],
  members: ReadonlyMap<string, number>,
): PredecessorIndex {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!members.has(e.before) || !members.has(e.after)) continue;
    const list = out.get(e.after) ?? [];
    list.push(e.before);
    out.set(e.after, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/**
 * The host-edge gate: `null` when every predecessor of `host` in this
 * rollout is Converged.
 *
 * @example hostEdgeBlock('app-01', preds, records, waves)?.code === 'HOST_EDGE_PREDECESSOR'
 */
export function hostEdgeBlock(
  host: string,
  predecessors: PredecessorIndex,
  records: ReadonlyMap<string, HostRolloutState> | undefined,
  waveOf: ReadonlyMap<string, number>,
): GateBlock | null {
  for (const pred of predecessors.get(host) ?? []) {
    const rec = records?.get(pred);
    if (rec?.state === 'Converged') continue;
    const where = rec === undefined ? `not dispatched, wave ${waveOf.get(pred) ?? '?'}` : rec.state;
    return {
      gate: 'host-edges',
      code: 'HOST_EDGE_PREDECESSOR',
      reason: `edge predecessor ${pred} not Converged (${where})`,
    };
  }
  return null;
}
