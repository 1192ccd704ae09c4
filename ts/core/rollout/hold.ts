// What keeps a rollout from moving on, and what an operator can do about it:
// the one answer `status`, `watch`, `rollout list` and /metrics show for a
// paused, aborted, approval-gated or halted rollout. Pure; the views only
// format it. Must never decide anything the planner acts on (rollout-plan.ts
// reads the marks itself).
import type { ManifestView } from '../inputs.ts';
import type { EpochMs } from '../time.ts';
import { awaitsApproval } from './operator.ts';
import type { RolloutRecord } from './types.ts';

/** Why a rollout is held, highest precedence first. */
export type HoldKind = 'aborted' | 'halted' | 'paused' | 'awaiting-approval';

/** A rollout's hold: who, why, since when, and the way forward. */
export interface RolloutHold {
  readonly kind: HoldKind;
  /** Operator name (`(control-plane)` for the pause a first rollout opens with); null when no one acted. */
  readonly by: string | null;
  readonly reason: string;
  readonly since: EpochMs | null;
  /** What moves it on, e.g. `nixfleet rollout resume stable@ab12`. */
  readonly next: string;
}

const SETTLED = new Set(['Terminal', 'Superseded', 'Pruned']);

/**
 * The hold on a rollout, or null when nothing but the usual gates holds it.
 * A Failed or Reverted rollout says whether the signed policy lets an admin
 * clear it, or whether only a new release moves the channel on.
 *
 * @example rolloutHold(record, manifest)?.next
 */
export function rolloutHold(
  r: RolloutRecord,
  manifest: Pick<ManifestView, 'waves' | 'operatorClear'> | undefined,
): RolloutHold | null {
  if (SETTLED.has(r.state)) return null;
  const id = r.rolloutId;
  if (r.aborted) {
    return {
      kind: 'aborted',
      by: r.aborted.by,
      reason: r.aborted.reason,
      since: r.aborted.at,
      next: `final; only a new release moves channel ${r.channel} on`,
    };
  }
  if (r.state === 'Failed' || r.state === 'Reverted') {
    const host = r.haltedBy === null ? '' : ` (host ${r.haltedBy.host})`;
    return {
      kind: 'halted',
      by: null,
      reason: `${r.state}: a host failed its health gate${host}`,
      since: r.lastTransitionAt,
      next:
        manifest?.operatorClear === true
          ? `an admin may clear it (nixfleet rollout clear ${id}), or release a new version`
          : `only a new release moves channel ${r.channel} on (the signed policy does not let an operator clear it)`,
    };
  }
  if (r.paused) {
    return {
      kind: 'paused',
      by: r.paused.by,
      reason: r.paused.reason,
      since: r.paused.at,
      next: `nixfleet rollout resume ${id}`,
    };
  }
  if (manifest !== undefined && awaitsApproval(r, manifest, r.currentWave)) {
    return {
      kind: 'awaiting-approval',
      by: null,
      reason: `wave ${r.currentWave} asks for an operator's approval (approval = "manual")`,
      since: r.waveStartedAt ?? r.openedAt,
      next: `nixfleet rollout approve ${id}`,
    };
  }
  return null;
}
