// Pure planning half of `nixfleet release` (book: nixfleet-release; Boundary
// contracts §I.1 producer pipeline, §I.8 rollout manifests). Owns: stamping
// meta, dropping expired pins, injecting closure hashes, projecting one rollout
// manifest per channel, the sidecars, and deciding whether a previous release
// can be reused byte for byte. Never: I/O, clocks, signing — `now` and every
// input arrive as values (changesets' assemble-release-plan, not apply).
import type {
  ArtifactMeta,
  BootstrapNonces,
  FleetResolved,
  HealthChecks,
  Revocations,
  RolloutManifest,
} from '../../contracts/index.ts';
import {
  diffProbeSets,
  type IrrevocableAcceptance,
  type IrrevocableSet,
  type ProbeSetByName,
} from '../../core/index.ts';
import { formatTimestamp, parseTimestamp } from '../../trust/index.ts';
import type { ComplianceFailure } from './compliance.ts';
import type { FleetDiagnostic } from './diagnostics.ts';

/** What the Nix evaluation of a fleet hands the release step. */
export interface EvaluatedFleet {
  readonly resolved: FleetResolved;
  readonly revocations: Revocations['revocations'];
  readonly bootstrapNonces: BootstrapNonces['bootstrapNonces'];
  /** Covered hosts of `resolved.disruptionBudgets[i]`, sorted. */
  readonly budgetHosts: readonly (readonly string[])[];
  readonly warnings: readonly string[];
  readonly diagnostics: readonly FleetDiagnostic[];
  /** mkFleet's `healthChecks.<host>`: the probes fleet.nix declares for each host. */
  readonly healthChecks: Readonly<Record<string, HealthChecks>>;
  /** mkFleet's `irrevocable.<host>.<name>`: the values that must never change (absent from older libraries). */
  readonly irrevocable?: Readonly<
    Record<
      string,
      Readonly<
        Record<string, { value: string | number | boolean; sensitive: boolean; source: string }>
      >
    >
  >;
  /** Always empty here: a failing enforce-mode control blocks the projection. */
  readonly complianceFailures: readonly ComplianceFailure[];
  /** Whether the fleet's library evaluated the static compliance gate. */
  readonly complianceGate: boolean;
}

/**
 * What lib/release/project.nix yields: the fleet, or only its diagnostics and
 * compliance failures when an unaccepted safety-relevant warning or a failing
 * enforce-mode control refuses it.
 */
export type FleetProjection =
  | ({ readonly blocked: false } & EvaluatedFleet)
  | {
      readonly blocked: true;
      readonly diagnostics: readonly FleetDiagnostic[];
      /** Absent from the projection of an older library. */
      readonly complianceFailures?: readonly ComplianceFailure[];
    };

/** A manifest hostSet entry's signed probe set. */
export type SignedProbes = NonNullable<RolloutManifest['hostSet'][number]['probes']>;

/** The signing envelope every artifact of one release shares. */
export interface ReleaseStamp {
  readonly signedAt: string;
  readonly ciCommit: string;
  readonly signatureAlgorithm: 'ed25519' | 'ecdsa-p256';
}

/** The unsigned artifacts of a release, by file name relative to the release directory. */
export interface ReleasePlan {
  readonly fleetResolved: FleetResolved;
  readonly manifests: ReadonlyMap<string, RolloutManifest>;
  readonly revocations: Revocations;
  readonly bootstrapNonces: BootstrapNonces;
  /** Hosts left out of every manifest (not selected by any wave). */
  readonly unwavedHosts: readonly string[];
  /** Nonces dropped because they expired before signedAt. */
  readonly prunedNonces: number;
}

/** A host whose resolved pin names another commit than the release commit. */
export interface ForeignPin {
  readonly host: string;
  readonly commit: string;
}

/** `now` as the RFC 3339 second-precision UTC timestamp artifacts carry. */
export function stampTime(now: Date): string {
  return formatTimestamp(Math.floor(now.getTime() / 1000) * 1000);
}

/**
 * fleet.resolved without the pins whose `expiresAt` lies before `now` (they
 * no longer apply and must not drive the build).
 */
export function dropExpiredPins(
  resolved: FleetResolved,
  now: Date,
): { resolved: FleetResolved; dropped: string[] } {
  const dropped: string[] = [];
  const hosts: FleetResolved['hosts'] = {};
  for (const [name, host] of Object.entries(resolved.hosts)) {
    const expires = host.pin?.expiresAt ? parseTimestamp(host.pin.expiresAt) : null;
    if (host.pin && expires !== null && expires < now.getTime()) {
      const { pin: _pin, ...rest } = host;
      hosts[name] = rest;
      dropped.push(name);
    } else hosts[name] = host;
  }
  return { resolved: { ...resolved, hosts }, dropped };
}

/** Hosts pinned to a commit other than `ciCommit` (they need --pin-source-url). */
export function foreignPins(resolved: FleetResolved, ciCommit: string): ForeignPin[] {
  return Object.entries(resolved.hosts)
    .filter(([, h]) => h.pin && !sameCommit(h.pin.commit, ciCommit))
    .map(([host, h]) => ({ host, commit: h.pin!.commit }))
    .sort((a, b) => (a.host < b.host ? -1 : 1));
}

/** Two commit ids name the same commit when one is a prefix of the other (short and full SHAs). */
export function sameCommit(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/**
 * Assembles every unsigned artifact of a release from the evaluated fleet,
 * the built closures (host → store-path basename) and the stamp.
 */
export function planRelease(
  fleet: EvaluatedFleet,
  options: {
    readonly closures: Readonly<Record<string, string>>;
    /** Per host, the probe set read from its closure (signed into its manifest entry). */
    readonly probes: Readonly<Record<string, SignedProbes>>;
    /** Per host, the signed irrevocable values (left out when a host has none). */
    readonly irrevocable?: Readonly<Record<string, IrrevocableSet>>;
    /** Accepted changes of irrevocable values (left out when there are none). */
    readonly acceptances?: readonly IrrevocableAcceptance[];
    readonly stamp: ReleaseStamp;
  },
): ReleasePlan {
  const { closures, probes, stamp } = options;
  const irrevocable = options.irrevocable ?? {};
  const acceptances = options.acceptances ?? [];
  const meta: ArtifactMeta = { schemaVersion: 1, ...stamp };
  const hosts: FleetResolved['hosts'] = {};
  for (const [name, host] of Object.entries(fleet.resolved.hosts)) {
    const values = irrevocable[name] ?? {};
    hosts[name] = {
      ...host,
      closureHash: closures[name] ?? null,
      // Only when declared: a fleet without irrevocable values signs the same bytes as before they existed.
      ...(Object.keys(values).length > 0 ? { irrevocable: values } : {}),
    };
  }
  const fleetResolved: FleetResolved = {
    ...fleet.resolved,
    hosts,
    ...(acceptances.length > 0 ? { irrevocableAcceptances: [...acceptances] } : {}),
    meta,
  };

  const manifests = new Map<string, RolloutManifest>();
  const waved = new Set<string>();
  for (const channel of Object.keys(fleetResolved.channels).sort()) {
    const manifest = projectManifest(fleetResolved, channel, fleet.budgetHosts, meta, probes);
    if (!manifest) continue;
    manifest.hostSet.forEach((h) => waved.add(h.hostname));
    manifests.set(`${channel}@${stamp.ciCommit}`, manifest);
  }
  const unwavedHosts = Object.keys(hosts)
    .filter((h) => !waved.has(h))
    .sort();

  const signedAtMs = parseTimestamp(stamp.signedAt) ?? 0;
  const nonces = fleet.bootstrapNonces.filter(
    (n) => (parseTimestamp(n.expiresAt) ?? 0) >= signedAtMs,
  );
  return {
    fleetResolved,
    manifests,
    revocations: { schemaVersion: 1, revocations: [...fleet.revocations], meta },
    bootstrapNonces: { schemaVersion: 1, bootstrapNonces: nonces, meta },
    unwavedHosts,
    prunedNonces: fleet.bootstrapNonces.length - nonces.length,
  };
}

/** The sentinel fleetResolvedHash until the signed fleet.resolved's hash is known. */
export const PENDING_HASH = '0'.repeat(64);

/**
 * One channel's rollout manifest: hosts sorted by name with their wave and
 * target, the policy's gate and failure policy, the channel's freshness
 * window and frameworks, and the budgets that cover any of its hosts. Hosts
 * without a closure or outside every wave are left out. `fleetResolvedHash`
 * is {@link PENDING_HASH} until {@link anchorManifest} sets it.
 */
export function projectManifest(
  resolved: FleetResolved,
  channel: string,
  budgetHosts: readonly (readonly string[])[],
  meta: ArtifactMeta,
  probes: Readonly<Record<string, SignedProbes>> = {},
): RolloutManifest | null {
  const ch = resolved.channels[channel];
  if (!ch) return null;
  const policy = resolved.rolloutPolicies[ch.rolloutPolicy];
  const waves = resolved.waves[channel] ?? [];
  const hostSet: RolloutManifest['hostSet'] = [];
  waves.forEach((wave, waveIndex) => {
    for (const hostname of wave.hosts) {
      const target = resolved.hosts[hostname]?.closureHash;
      // null only for a host the release has no probe set for; the agent
      // refuses that (AGENT_ERR_PROBES_UNSIGNED), so the pipeline never signs it.
      if (!target) continue;
      // The agent judges a target's irrevocable values from these signed bytes only.
      const values = resolved.hosts[hostname]?.irrevocable ?? {};
      const accepted = (resolved.irrevocableAcceptances ?? []).filter((a) => a.host === hostname);
      hostSet.push({
        hostname,
        waveIndex,
        targetClosure: target,
        probes: probes[hostname] ?? null,
        ...(Object.keys(values).length > 0 ? { irrevocable: values } : {}),
        ...(accepted.length > 0 ? { irrevocableAcceptances: accepted } : {}),
      });
    }
  });
  hostSet.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  if (hostSet.length === 0) return null;
  const members = new Set(hostSet.map((h) => h.hostname));
  const disruptionBudgets: RolloutManifest['disruptionBudgets'] = [];
  resolved.disruptionBudgets.forEach((b, i) => {
    const covered = [...(budgetHosts[i] ?? [])].sort();
    if (!covered.some((h) => members.has(h))) return;
    disruptionBudgets.push({
      selector: b.selector,
      hosts: covered,
      maxInFlight: b.maxInFlight,
      maxInFlightPct: b.maxInFlightPct,
    });
  });
  return {
    schemaVersion: 1,
    displayName: `${channel}@${(meta.ciCommit ?? '').slice(0, 7)}`,
    channel,
    channelRef: meta.ciCommit ?? '',
    fleetResolvedHash: PENDING_HASH,
    hostSet,
    waves: waves.map((w) => ({
      soakMinutes: w.soakMinutes,
      minSoaked: w.minSoaked ?? 1,
      waitForNeverSeenMinutes: w.waitForNeverSeenMinutes ?? null,
      allowNoEnforceProbes: w.allowNoEnforceProbes ?? false,
      approval: w.approval ?? 'auto',
    })),
    healthGate: policy?.healthGate ?? {},
    onHealthFailure: policy?.onHealthFailure ?? 'rollback-and-halt',
    operatorClear: policy?.operatorClear ?? false,
    freshnessWindow: ch.freshnessWindow,
    complianceFrameworks: [...ch.compliance.frameworks],
    disruptionBudgets,
    meta,
  };
}

/** The manifest anchored to the signed fleet.resolved it was projected from. */
export function anchorManifest(
  manifest: RolloutManifest,
  fleetResolvedHash: string,
): RolloutManifest {
  return { ...manifest, fleetResolvedHash };
}

/** A previous release as read back from disk (parsed artifacts). */
export interface PreviousRelease {
  readonly fleetResolved: FleetResolved;
  readonly revocations: Revocations | null;
  readonly bootstrapNonces: BootstrapNonces | null;
  /** Per host, the probe set its latest manifest entry signed (null: none signed). */
  readonly probes: Readonly<Record<string, SignedProbes | null>>;
}

function sameProbes(
  a: ProbeSetByName | null | undefined,
  b: ProbeSetByName | null | undefined,
): boolean {
  if (!a || !b) return (a ?? null) === (b ?? null);
  const d = diffProbeSets(a, b);
  return d.missing.length + d.different.length + d.extra.length === 0;
}

const withoutMeta = (v: { meta?: unknown }): unknown => ({ ...v, meta: null });

/**
 * Whether the previous release can be kept byte for byte: nothing but meta
 * differs, and it is younger than the shortest signing interval (older
 * artifacts must be re-signed before consumers' freshness windows close).
 */
export function canReuse(
  previous: PreviousRelease,
  plan: ReleasePlan,
  now: Date,
): { reuse: boolean; reason: string } {
  const same =
    JSON.stringify(withoutMeta(previous.fleetResolved)) ===
      JSON.stringify(withoutMeta(plan.fleetResolved)) &&
    JSON.stringify(previous.revocations?.revocations ?? null) ===
      JSON.stringify(plan.revocations.revocations) &&
    JSON.stringify(previous.bootstrapNonces?.bootstrapNonces ?? null) ===
      JSON.stringify(plan.bootstrapNonces.bootstrapNonces);
  if (!same) return { reuse: false, reason: 'fleet content changed' };
  for (const m of plan.manifests.values()) {
    for (const h of m.hostSet) {
      if (!sameProbes(previous.probes[h.hostname], h.probes)) {
        return { reuse: false, reason: `signed probe set of ${h.hostname} changed` };
      }
    }
  }
  const signedAt = previous.fleetResolved.meta.signedAt
    ? parseTimestamp(previous.fleetResolved.meta.signedAt)
    : null;
  if (signedAt === null) return { reuse: false, reason: 'previous release is unsigned' };
  const intervals = Object.values(plan.fleetResolved.channels).map((c) => c.signingIntervalMinutes);
  const minInterval = intervals.length > 0 ? Math.min(...intervals) : 60;
  const ageMin = (now.getTime() - signedAt) / 60_000;
  if (ageMin >= minInterval) {
    return {
      reuse: false,
      reason: `previous signature is ${Math.floor(ageMin)} min old (signing interval ${minInterval} min): re-signing`,
    };
  }
  return { reuse: true, reason: 'nothing changed since the previous release' };
}

/** The tightest freshness window of the fleet, in seconds (for the smoke verify). */
export function smokeWindowSecs(resolved: FleetResolved): number {
  const windows = Object.values(resolved.channels).map((c) => c.freshnessWindow);
  return (windows.length > 0 ? Math.min(...windows) : 60) * 60;
}

/** Re-exported for callers that stamp times. */
export { formatTimestamp };
