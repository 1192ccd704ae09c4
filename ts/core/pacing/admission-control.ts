// Admission-control gate (docs/control-plane.md, Dispatch pacing). The
// planner clears a dispatch; the control plane may still hold it back so the
// events it brings (~5 per host) do not outrun event ingest. Owns how such a
// held dispatch reads in the decision log, so "why didn't this host upgrade
// yet?" is not answered "dispatched" for a host that has received nothing.
// Must never decide what is held or at what rate (tick-policy.ts and
// pacer.ts do); this only rewrites the planner's decisions to say so.
import type { Decision, GateBlock } from '../decisions.ts';

/**
 * The admission-control hold for a dispatch at `position` (1-based) among
 * `held` dispatches released at `ratePerSec`.
 *
 * @example pacedBlock(3, 6543, 150).code === 'DISPATCH_PACED'
 */
export function pacedBlock(position: number, held: number, ratePerSec: number): GateBlock {
  const rate = Math.max(0, Math.round(ratePerSec));
  const eta = rate > 0 ? `, due in about ${Math.max(1, Math.ceil(position / rate))} s` : '';
  return {
    gate: 'admission-control',
    code: 'DISPATCH_PACED',
    reason: `cleared by every gate; held by admission control (${position} of ${held} queued, released at ${rate} hosts/s${eta})`,
  };
}

/**
 * Rewrites the planner's `dispatch` decisions for the dispatches the CP held
 * back (`held`, in release order) into `hold` decisions with
 * {@link pacedBlock}; every other decision is returned as is.
 *
 * @example markPaced(plan.decisions, [{ rolloutId, hostname }], 150)
 */
export function markPaced(
  decisions: readonly Decision[],
  held: readonly { readonly rolloutId: string; readonly hostname: string }[],
  ratePerSec: number,
): Decision[] {
  if (held.length === 0) return [...decisions];
  const position = new Map<string, number>();
  held.forEach((a, i) => position.set(`${a.rolloutId}\u0000${a.hostname}`, i + 1));
  return decisions.map((d) => {
    if (d.decision !== 'dispatch' || d.rollout === null || d.host === null) return d;
    const at = position.get(`${d.rollout}\u0000${d.host}`);
    if (at === undefined) return d;
    const block = pacedBlock(at, held.length, ratePerSec);
    return { ...d, decision: 'hold', ...block, transition: null };
  });
}
