// The rollback rule for signed release artifacts (TUF "rollback" and
// "freeze"): a consumer remembers, per channel, the newest `meta.signedAt`
// it has adopted (its high-water mark) and refuses a fleet.resolved or
// rollout manifest signed earlier, even when the signature and freshness
// verify. Equal is not older (the same release re-served, or re-signed in the
// same instant). Pure: the marks and the candidates are parameters; the
// shells (CP storage, agent state directory) persist the marks.
import { err, ok, type Result } from './result.ts';
import { parseTimestamp } from './time.ts';

/** What a consumer last adopted on one channel. */
export interface HighWaterMark {
  /** `meta.signedAt` of the adopted artifact, as signed. */
  readonly signedAt: string;
  /** The release it belongs to: `meta.ciCommit` or the rollout id. */
  readonly release: string;
}

/** One channel's part of an artifact about to be adopted. */
export interface MarkCandidate extends HighWaterMark {
  readonly channel: string;
}

/** Per-channel marks. */
export type HighWaterMarks = ReadonlyMap<string, HighWaterMark>;

/** Why a candidate is refused. */
export interface RollbackRefusal {
  readonly channel: string;
  readonly refused: HighWaterMark;
  readonly adopted: HighWaterMark;
  readonly message: string;
}

/**
 * Refuses the first candidate signed before its channel's mark (or whose
 * timestamps cannot be compared: fail closed). Channels without a mark pass.
 *
 * @example
 *   const r = checkNotRolledBack(marks, [{ channel: 'stable', signedAt, release: ciCommit }]);
 *   if (!r.ok) alert('CP_ERR_ARTIFACT_ROLLBACK', r.error.message);
 */
export function checkNotRolledBack(
  marks: HighWaterMarks,
  candidates: readonly MarkCandidate[],
): Result<null, RollbackRefusal> {
  for (const c of candidates) {
    const adopted = marks.get(c.channel);
    if (adopted === undefined) continue;
    const was = parseTimestamp(adopted.signedAt);
    const is = parseTimestamp(c.signedAt);
    if (was !== null && is !== null && is >= was) continue;
    const refused = { signedAt: c.signedAt, release: c.release };
    return err({
      channel: c.channel,
      refused,
      adopted,
      message:
        `channel ${c.channel}: ${c.release} signed ${c.signedAt} is older than ` +
        `${adopted.release} signed ${adopted.signedAt}, already adopted (rollback refused)`,
    });
  }
  return ok(null);
}

/**
 * The marks after adopting `candidates`: each channel's mark only ever moves
 * forward. Returns `marks` itself when nothing moved (callers persist only
 * on change).
 *
 * @example
 *   const next = raiseMarks(marks, candidates);
 *   if (next !== marks) persist(changedEntries(marks, next));
 */
export function raiseMarks(
  marks: HighWaterMarks,
  candidates: readonly MarkCandidate[],
): HighWaterMarks {
  let next: Map<string, HighWaterMark> | null = null;
  for (const c of candidates) {
    const cur = (next ?? marks).get(c.channel);
    const is = parseTimestamp(c.signedAt);
    if (is === null) continue;
    const was = cur === undefined ? null : parseTimestamp(cur.signedAt);
    if (cur !== undefined && was !== null && is <= was) continue;
    next ??= new Map(marks);
    next.set(c.channel, { signedAt: c.signedAt, release: c.release });
  }
  return next ?? marks;
}

/** The channel marks a fleet.resolved and its manifests carry (one per channel). */
export function fleetMarkCandidates(fleet: {
  readonly channels: Readonly<Record<string, unknown>>;
  readonly meta: { readonly signedAt: string | null; readonly ciCommit: string | null };
}): MarkCandidate[] {
  const { signedAt, ciCommit } = fleet.meta;
  if (signedAt === null) return [];
  return Object.keys(fleet.channels)
    .sort()
    .map((channel) => ({ channel, signedAt, release: ciCommit ?? 'fleet.resolved' }));
}
