// Wave-promotion gate (RFC-0002 §4 step 4, RFC-0005 §6, RFC-0007 §7.2/§8.3).
// Owns the rule for leaving a wave: no promotion without evidence. Every
// online member dispatched and Converged (soak elapsed, probe topology
// declared, every enforce probe passing since activation); at least the
// wave's `minSoaked` members soaked with an enforce probe to show for it
// (unless the signed policy allows a wave without enforce probes); members
// never seen hold the wave for `waitForNeverSeenMinutes` after it started;
// no outstanding enforce failure on any host of this or an earlier wave; a
// host dispatched without the soak as unchanged that acked running another
// closure soaks in full.
// Offline and never-seen members are named in every answer.
// Must never dispatch or promote: it only answers "may this wave end?".
import type { DecisionCode, GateBlock } from '../decisions.ts';
import { convergenceBlock, enforceProbeNames, probeGateBlock } from '../host/probes.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import { formatDuration } from '../duration.ts';
import { toRfc3339, type EpochMs } from '../time.ts';

/** The signed per-wave knobs the gate reads, with their fail-closed defaults. */
export interface WaveEvidencePolicy {
  readonly soakMinutes: number;
  readonly minSoaked: number;
  /** `null`: a never-seen member holds the wave indefinitely. */
  readonly waitForNeverSeenMinutes: number | null;
  readonly allowNoEnforceProbes: boolean;
}

/**
 * The wave's evidence policy from the signed manifest; absent keys take the
 * fail-closed defaults (one soaked host, wait indefinitely, enforce probes
 * required).
 *
 * @example wavePolicyOf(manifest, 0).minSoaked >= 1
 */
export function wavePolicyOf(manifest: ManifestView, wave: number): WaveEvidencePolicy {
  const w = manifest.waves[wave];
  return {
    soakMinutes: w?.soakMinutes ?? 0,
    minSoaked: w?.minSoaked ?? 1,
    waitForNeverSeenMinutes: w?.waitForNeverSeenMinutes ?? null,
    allowNoEnforceProbes: w?.allowNoEnforceProbes ?? false,
  };
}

/** Outcome of the gate: a block, or the members to skip and what was checked. */
export interface WavePromotion {
  readonly block: GateBlock | null;
  /** Offline members, and never-seen members whose wait ran out. */
  readonly skipped: readonly string[];
  /** The subset of `skipped` that was dispatched but never acked. */
  readonly skippedPending: readonly string[];
  /** What was checked, for the promote/complete decision's reason. */
  readonly evidence: string;
}

/** Membership of one wave, sorted into what the gate found. */
interface Census {
  /** First member that is not done, with why. */
  firstHold: string | null;
  readonly soaked: { readonly host: string; readonly enforce: number }[];
  readonly offline: string[];
  readonly offlinePending: string[];
  readonly neverSeen: string[];
}

/**
 * A member dispatched without the wave's soak as unchanged since the
 * superseded rollout (planner/unchanged.ts) that acked running another
 * closure (or none known) was not unchanged: it holds the wave for the full
 * soak from its activation. The why, or null.
 */
function driftedWaiver(rec: HostRolloutState, soakMs: number, now: EpochMs): string | null {
  if (rec.soakMs >= soakMs || rec.currentClosureAtDispatch === rec.targetClosure) return null;
  const until = (rec.activationCompletedAt ?? rec.dispatchedAt) + soakMs;
  if (now >= until) return null;
  const ran = rec.currentClosureAtDispatch ?? 'an unknown closure';
  return `dispatched without the soak as unchanged, but ran ${ran} when the dispatch arrived: it soaks the full ${formatDuration(soakMs)} from its activation, until ${toRfc3339(until)}`;
}

function census(
  w: number,
  members: readonly string[],
  records: ReadonlyMap<string, HostRolloutState> | undefined,
  offline: (host: string) => boolean,
  seen: (host: string) => boolean,
  soak: { readonly ms: number; readonly now: EpochMs },
): Census {
  const c: Census = { firstHold: null, soaked: [], offline: [], offlinePending: [], neverSeen: [] };
  const hold = (why: string): void => {
    c.firstHold ??= why;
  };
  for (const host of members) {
    const rec = records?.get(host);
    if (rec === undefined) {
      if (!seen(host)) c.neverSeen.push(host);
      else if (offline(host)) c.offline.push(host);
      else hold(`wave ${w} held: ${host} not yet dispatched`);
      continue;
    }
    if (rec.state === 'Pending' && offline(host)) {
      c.offline.push(host);
      c.offlinePending.push(host);
      continue;
    }
    if (rec.state !== 'Converged') {
      const detail = convergenceBlock(rec, Number.POSITIVE_INFINITY, 0);
      const why =
        rec.state === 'Soaking' && detail !== null && detail.code !== 'SOAK_NOT_ELAPSED'
          ? `${rec.state}, ${detail.detail}`
          : rec.state;
      hold(`wave ${w} held: ${host} is ${why}`);
      continue;
    }
    const probes = probeGateBlock(rec);
    if (probes !== null) {
      hold(`wave ${w} held: ${host} ${probes.detail}`);
      continue;
    }
    if (rec.outstandingFailures.length > 0) {
      hold(
        `wave ${w} held: ${host} has outstanding enforce failures: ${rec.outstandingFailures.join(', ')}`,
      );
      continue;
    }
    const drifted = driftedWaiver(rec, soak.ms, soak.now);
    if (drifted !== null) {
      hold(`wave ${w} held: ${host} ${drifted}`);
      continue;
    }
    c.soaked.push({ host, enforce: enforceProbeNames(rec).length });
  }
  return c;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** "; offline: a; never seen: b" — the members that gave no evidence. */
function absentees(offline: readonly string[], neverSeen: readonly string[]): string {
  let out = '';
  if (offline.length > 0) out += `; offline: ${offline.join(', ')}`;
  if (neverSeen.length > 0) out += `; never seen: ${neverSeen.join(', ')}`;
  return out;
}

/**
 * May wave `wave` end at `now`? Checks its members against the wave's signed
 * evidence policy, then outstanding failures on the hosts of earlier waves.
 * `seen` is false for a host that never sent a heartbeat; `waveStartedAt`
 * anchors the wait for such hosts.
 *
 * @example wavePromotionBlock({ wave: 0, members, earlier: [], records, offline, seen, policy, waveStartedAt, now }).block === null
 */
export function wavePromotionBlock(args: {
  readonly wave: number;
  readonly members: readonly string[];
  readonly earlier: readonly string[];
  readonly records: ReadonlyMap<string, HostRolloutState> | undefined;
  readonly offline: (host: string) => boolean;
  readonly seen: (host: string) => boolean;
  readonly policy: WaveEvidencePolicy;
  readonly waveStartedAt: EpochMs;
  readonly now: EpochMs;
}): WavePromotion {
  const w = args.wave;
  const pol = args.policy;
  const soak = { ms: pol.soakMinutes * 60_000, now: args.now };
  const c = census(w, args.members, args.records, args.offline, args.seen, soak);
  const names = absentees(c.offline, c.neverSeen);
  const result = (code: DecisionCode | null, reason: string, evidence = ''): WavePromotion => ({
    block: code === null ? null : { gate: 'wave-promotion', code, reason },
    skipped: [...c.offline, ...c.neverSeen].sort(),
    skippedPending: c.offlinePending,
    evidence,
  });
  if (args.members.length === 0) {
    return result(null, '', `wave ${w} has no hosts; nothing to soak`);
  }
  if (c.firstHold !== null) return result('WAVE_HELD', `${c.firstHold}${names}`);
  if (c.neverSeen.length > 0) {
    const wait = pol.waitForNeverSeenMinutes;
    const until = wait === null ? null : args.waveStartedAt + wait * 60_000;
    if (until === null || args.now < until) {
      const how =
        until === null
          ? "waits for them indefinitely (waitForNeverSeenMinutes = null); enroll them, or set the wave's waitForNeverSeenMinutes"
          : `waits for them until ${toRfc3339(until)} (waitForNeverSeenMinutes = ${wait}); enroll them to soak the wave`;
      return result(
        'WAVE_AWAITING_NEVER_SEEN',
        `wave ${w} held: ${plural(c.neverSeen.length, 'member')} never seen (no heartbeat ever): ${c.neverSeen.join(', ')}; the wave ${how}${absentees(c.offline, [])}`,
      );
    }
  }
  const evidenced = pol.allowNoEnforceProbes ? c.soaked : c.soaked.filter((s) => s.enforce > 0);
  if (evidenced.length < pol.minSoaked) {
    const bare = c.soaked.filter((s) => s.enforce === 0).map((s) => s.host);
    if (c.soaked.length >= pol.minSoaked && bare.length > 0) {
      return result(
        'WAVE_NO_ENFORCE_PROBES',
        `wave ${w} held: ${plural(c.soaked.length, 'host')} soaked but ${evidenced.length} of them ran an enforce probe (minSoaked = ${pol.minSoaked}); no enforce probe declared on: ${bare.join(', ')}, so nothing was checked. Declare an enforce probe (healthChecks) or set allowNoEnforceProbes = true on the wave${names}`,
      );
    }
    return result(
      'WAVE_TOO_FEW_SOAKED',
      `wave ${w} held: ${evidenced.length} of ${args.members.length} members soaked with enforce probes passing, the policy needs ${pol.minSoaked} (minSoaked)${names}; a wave advances only on evidence`,
    );
  }
  for (const host of args.earlier) {
    const rec = args.records?.get(host);
    if (rec !== undefined && rec.outstandingFailures.length > 0) {
      return result(
        'WAVE_HELD',
        `wave ${w} held: ${host} (wave ${rec.wave}) has outstanding enforce failures: ${rec.outstandingFailures.join(', ')}${names}`,
      );
    }
  }
  const probes = c.soaked.reduce((n, s) => n + s.enforce, 0);
  const withProbes = c.soaked.filter((s) => s.enforce > 0).length;
  let evidence = `wave ${w} soaked ${pol.soakMinutes}m, ${plural(probes, 'enforce probe')} passing on ${plural(withProbes, 'host')}`;
  if (withProbes < c.soaked.length) {
    const bare = c.soaked.filter((s) => s.enforce === 0).map((s) => s.host);
    const allowed = pol.allowNoEnforceProbes ? ' (allowNoEnforceProbes)' : '';
    evidence += `; soaked with no enforce probe declared${allowed}: ${bare.join(', ')}`;
  }
  if (c.offline.length > 0) evidence += `; skipped offline: ${c.offline.join(', ')}`;
  if (c.neverSeen.length > 0) {
    evidence += `; skipped never seen after ${pol.waitForNeverSeenMinutes ?? 0}m: ${c.neverSeen.join(', ')}`;
  }
  return result(null, '', evidence);
}
