// Wave-promotion gate (RFC-0002 §4 step 4, RFC-0005 §6, RFC-0007 §7.2/§8.3).
// Owns the rule for leaving a wave: every online member dispatched and
// Converged (so soak elapsed on each host), probe topology declared, every
// enforce probe passing since activation, and no outstanding enforce failure
// on any host of this or an earlier wave. Offline members that were never
// dispatched (or never acked) are skipped and do not hold the wave, as long
// as at least one member of the wave has converged.
// Must never dispatch or promote: it only answers "may this wave end?".
import type { GateBlock } from '../decisions.ts';
import { convergenceBlock, probeGateBlock } from '../host/probes.ts';
import type { HostRolloutState } from '../host/types.ts';

/** Outcome of the gate: a block, or the offline members to skip. */
export interface WavePromotion {
  readonly block: GateBlock | null;
  readonly skipped: readonly string[];
  /** The subset of `skipped` that was dispatched but never acked. */
  readonly skippedPending: readonly string[];
}

function held(reason: string): GateBlock {
  return { gate: 'wave-promotion', code: 'WAVE_HELD', reason };
}

/**
 * May wave `wave` end? Checks its members, then outstanding failures on the
 * hosts of earlier waves.
 *
 * @example wavePromotionBlock({ wave: 0, members, earlier: [], records, offline }).block === null
 */
export function wavePromotionBlock(args: {
  readonly wave: number;
  readonly members: readonly string[];
  readonly earlier: readonly string[];
  readonly records: ReadonlyMap<string, HostRolloutState> | undefined;
  readonly offline: (host: string) => boolean;
}): WavePromotion {
  const skipped: string[] = [];
  const skippedPending: string[] = [];
  const w = args.wave;
  for (const host of args.members) {
    const rec = args.records?.get(host);
    if (rec === undefined || (rec.state === 'Pending' && args.offline(host))) {
      if (args.offline(host)) {
        skipped.push(host);
        if (rec !== undefined) skippedPending.push(host);
        continue;
      }
      return { block: held(`wave ${w} held: ${host} not yet dispatched`), skipped, skippedPending };
    }
    if (rec.state !== 'Converged') {
      const detail = convergenceBlock(rec, Number.POSITIVE_INFINITY, 0);
      const why =
        rec.state === 'Soaking' && detail !== null && detail.code !== 'SOAK_NOT_ELAPSED'
          ? `${rec.state}, ${detail.detail}`
          : rec.state;
      return { block: held(`wave ${w} held: ${host} is ${why}`), skipped, skippedPending };
    }
    const probes = probeGateBlock(rec);
    if (probes !== null)
      return { block: held(`wave ${w} held: ${host} ${probes.detail}`), skipped, skippedPending };
    if (rec.outstandingFailures.length > 0) {
      return {
        block: held(
          `wave ${w} held: ${host} has outstanding enforce failures: ${rec.outstandingFailures.join(', ')}`,
        ),
        skipped,
        skippedPending,
      };
    }
  }
  // Skipping offline hosts must not skip the evidence: a wave advances only
  // once at least one of its hosts has converged. Otherwise an all-offline
  // canary tier would promote the rollout straight to production.
  if (args.members.length > 0 && skipped.length === args.members.length) {
    return {
      block: held(
        `wave ${w} held: no host of the wave is online (${skipped.join(', ')}); a wave advances only once one of its hosts has converged`,
      ),
      skipped,
      skippedPending,
    };
  }
  for (const host of args.earlier) {
    const rec = args.records?.get(host);
    if (rec !== undefined && rec.outstandingFailures.length > 0) {
      return {
        block: held(
          `wave ${w} held: ${host} (wave ${rec.wave}) has outstanding enforce failures: ${rec.outstandingFailures.join(', ')}`,
        ),
        skipped,
        skippedPending,
      };
    }
  }
  return { block: null, skipped, skippedPending };
}
