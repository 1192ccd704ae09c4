// The soak waiver for unchanged waves: a release opens a rollout over every
// host of the channel, but a wave whose every member already converged on the
// very closure it targets now, in the rollout this one superseded, has
// nothing new to soak. Its members are still dispatched (a no-op switch, then
// enforce probes passing after it, checked by the same wave gate), only
// without the soak. Owns the eligibility rule; everything it reads is a
// recorded fact (the predecessor's host records and signed manifest, the
// host's latest record), never an assumption; any doubt keeps the full
// soak. Must never skip a dispatch or a gate.
import { formatDuration } from '../duration.ts';
import { probeGateBlock } from '../host/probes.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import type { RolloutRecord } from '../rollout/types.ts';
import type { Layout, TickContext } from './context.ts';

/** The soak of a manifest's wave, in milliseconds (absent: none). */
function waveSoakMs(m: ManifestView, wave: number): number {
  return (m.waves[wave]?.soakMinutes ?? 0) * 60_000;
}

/**
 * The rollout `rollout` superseded on its channel: the book's record it
 * superseded, or (in the tick that opens it) the channel's current holder.
 * `null` when there is none.
 */
export function predecessorOf(ctx: TickContext, rollout: RolloutRecord): RolloutRecord | null {
  const book = ctx.input.rollouts;
  if (book.rollouts[rollout.rolloutId] === undefined) {
    const holder = book.activeByChannel[rollout.channel] ?? null;
    return holder === null ? null : (book.rollouts[holder] ?? null);
  }
  for (const r of Object.values(book.rollouts)) {
    if (r.supersededBy === rollout.rolloutId && r.channel === rollout.channel) return r;
  }
  return null;
}

/**
 * Whether a host's record in the predecessor proves it ran `target` through
 * a soak at least `soakMs` long with its enforce probes passing: Converged
 * on that closure (not Failed, not rolled back), no enforce failure after
 * it, and a predecessor wave soak no shorter than the one waived. A record
 * that was itself dispatched under this waiver qualifies through the same
 * rule one rollout earlier.
 */
function provenOn(
  rec: HostRolloutState | undefined,
  target: string,
  soakMs: number,
  prevManifest: ManifestView,
): boolean {
  return (
    rec !== undefined &&
    rec.state === 'Converged' &&
    rec.targetClosure === target &&
    rec.currentClosure === target &&
    rec.outstandingFailures.length === 0 &&
    probeGateBlock(rec) === null &&
    waveSoakMs(prevManifest, rec.wave) >= soakMs
  );
}

/** Why a wave keeps or waives its soak. */
export type WaveChange =
  | { readonly unchanged: false }
  | {
      readonly unchanged: true;
      /** The superseded rollout every member converged in. */
      readonly since: string;
      readonly soakMs: number;
    };

const CHANGED: WaveChange = { unchanged: false };

/**
 * Whether wave `wave` of `rollout` is unchanged since the rollout it
 * superseded: the wave soaks, the predecessor completed cleanly (Terminal,
 * never halted, aborted or cleared by an operator) and its signed manifest
 * is at hand, and
 * every member of the wave converged there on the closure it targets now.
 * One changed, new, failed or never-converged member keeps the whole wave's
 * soak.
 *
 * @example unchangedWave(ctx, rollout, manifest, layout, 0).unchanged
 */
export function unchangedWave(
  ctx: TickContext,
  rollout: RolloutRecord,
  manifest: ManifestView,
  layout: Layout,
  wave: number,
): WaveChange {
  const soakMs = waveSoakMs(manifest, wave);
  if (soakMs === 0) return CHANGED;
  const prev = predecessorOf(ctx, rollout);
  // Completed (every wave passed its gate, so every hold on its members
  // elapsed), and clean.
  const clean =
    prev !== null &&
    prev.terminalAt !== null &&
    prev.haltedBy === null &&
    !prev.aborted &&
    prev.acknowledged === 0;
  if (!clean) return CHANGED;
  const prevManifest = ctx.input.manifests.get(prev.rolloutId);
  const prevRecords = ctx.input.hosts.get(prev.rolloutId);
  if (prevManifest === undefined || prevRecords === undefined) return CHANGED;
  const members = layout.waves[wave] ?? [];
  if (members.length === 0) return CHANGED;
  for (const host of members) {
    const target = layout.targetOf.get(host) as string;
    if (!provenOn(prevRecords.get(host), target, soakMs, prevManifest)) return CHANGED;
  }
  return { unchanged: true, since: prev.rolloutId, soakMs };
}

/** {@link unchangedWave} per wave of one rollout, each computed once per tick. */
export function waveChanges(
  ctx: TickContext,
  rollout: RolloutRecord,
  manifest: ManifestView,
  layout: Layout,
): (wave: number) => WaveChange {
  const known = new Map<number, WaveChange>();
  return (wave) => {
    let c = known.get(wave);
    if (c === undefined) {
      c = unchangedWave(ctx, rollout, manifest, layout, wave);
      known.set(wave, c);
    }
    return c;
  };
}

/**
 * The soak waiver of a host about to be dispatched in wave `change`: the
 * dispatch decision's reason when the wave is unchanged and the host's
 * latest record is still the predecessor's; `null` otherwise. What the host
 * runs is checked on the dispatch's own ack: a host that reports another
 * closure there holds its wave for the full soak (gates/wave-promotion.ts).
 */
export function soakWaiver(
  ctx: TickContext,
  host: string,
  target: string,
  change: WaveChange,
): string | null {
  if (!change.unchanged) return null;
  const latest = ctx.latest.get(host);
  if (latest === undefined || latest.rolloutId !== change.since) return null;
  return `all gates passed; dispatching ${target}, unchanged since ${change.since} where every member of the wave converged on its closure after the soak: soak waived (${formatDuration(change.soakMs)}), activation and enforce probes checked again; running another closure when the dispatch arrives, it soaks in full`;
}

/**
 * "; soak waived on a, b (unchanged since the superseded rollout)": the
 * wave members whose record in this rollout carries a shorter soak than the
 * wave's, read from the records themselves. Empty when none.
 */
export function waivedEvidence(
  records: ReadonlyMap<string, HostRolloutState> | undefined,
  members: readonly string[],
  manifest: ManifestView,
  wave: number,
): string {
  const soakMs = waveSoakMs(manifest, wave);
  if (soakMs === 0 || records === undefined) return '';
  const waived = members.filter((h) => {
    const rec = records.get(h);
    return rec !== undefined && rec.soakMs < soakMs;
  });
  if (waived.length === 0) return '';
  return `; soak waived on ${waived.join(', ')} (closure unchanged since the superseded rollout, converged there after its soak)`;
}
