// The rollout reducer's part for operator marks: pause, resume, abort and
// wave approval. Each only records a mark the planner reads to withhold
// (pause, abort) or to release a gate the signed manifest declares (approval
// of a manual wave); none moves a host or a wave. Must never decide whether
// the caller may act (ts/core/rollout/operator.ts does).
import type { RolloutEvent, RolloutRecord, RolloutState } from './types.ts';

const LIVE: ReadonlySet<RolloutState> = new Set(['Opening', 'Active', 'Converging']);

/** States an operator may pause or abort: every state that still holds the channel but Terminal. */
const ACTIONABLE: ReadonlySet<RolloutState> = new Set([...LIVE, 'Failed', 'Reverted']);

/** Why an operator withholds this rollout (abort, then pause), or null. */
export function withheld(r: RolloutRecord): string | null {
  if (r.aborted) return `aborted by operator:${r.aborted.by}`;
  if (r.paused) return `paused by operator:${r.paused.by}`;
  return null;
}

/**
 * Whether a newer release supersedes this rollout at once, even while hosts
 * are in flight. Aborted: final. Cleared: the acknowledged failure keeps its
 * wave from ever passing the promotion gate, so the rollout can never end
 * and queueing behind it would hold the channel for good.
 */
export function givesWay(r: RolloutRecord): boolean {
  return (r.aborted ?? null) !== null || r.acknowledged > 0;
}

/** Why a rollout may not promote or end, whatever the planner says, or null. */
export function cannotPass(r: RolloutRecord): string | null {
  const held = withheld(r);
  if (held !== null) return held;
  if (r.acknowledged > 0) {
    return `${r.acknowledged} failed host(s) of wave ${r.currentWave} were cleared, not healed: the wave never passes its gate`;
  }
  return null;
}

/**
 * The record after one operator mark, or why the mark is illegal here.
 *
 * @example operatorMark(record, { kind: 'OperatorPaused', ... }) // → { ...record, paused: { by, reason, at } }
 */
export function operatorMark(
  r: RolloutRecord,
  event: Extract<
    RolloutEvent,
    { kind: 'OperatorPaused' | 'OperatorResumed' | 'OperatorAborted' | 'WaveApproved' }
  >,
): RolloutRecord | string {
  const mark = { by: event.operator, reason: event.reason, at: event.at };
  if (r.aborted) return 'an aborted rollout is final';
  switch (event.kind) {
    case 'OperatorPaused':
      if (!ACTIONABLE.has(r.state)) return `cannot pause a ${r.state} rollout`;
      if (r.paused) return 'already paused';
      return { ...r, paused: mark };
    case 'OperatorResumed':
      if (!r.paused) return 'not paused';
      return { ...r, paused: null };
    case 'OperatorAborted':
      if (!ACTIONABLE.has(r.state)) return `cannot abort a ${r.state} rollout`;
      return { ...r, aborted: mark };
    case 'WaveApproved': {
      if (!LIVE.has(r.state)) return `cannot approve a wave of a ${r.state} rollout`;
      if (event.wave !== r.currentWave) {
        return `wave ${event.wave} is not the current wave ${r.currentWave}`;
      }
      const approvals = r.approvals ?? [];
      if (approvals.some((a) => a.wave === event.wave)) return 'already approved';
      return { ...r, approvals: [...approvals, { ...mark, wave: event.wave }] };
    }
  }
}
