// Signed release directories for CP tests and the benchmark: a
// fleet.resolved with the given hosts and waves, one rollout manifest per
// channel anchored to it, and the revocations and bootstrap-nonces sidecars,
// all canonicalised and signed by a CI key through ts/trust. Shapes are the
// generated contract types; validity is checked by the CP's own verifier.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  BootstrapNonces,
  FleetResolved,
  NormalizedSelector,
  Revocations,
  RolloutManifest,
} from '../../../ts/contracts/index.ts';
import {
  generatePrivateKey,
  mintBootstrapToken,
  sha256Hex,
  signCanonical,
  type PrivateKey,
} from '../../../ts/trust/index.ts';
import type { BootstrapToken } from '../../../ts/contracts/index.ts';

/** The signing keys and the trust.json that names them. */
export interface TestTrust {
  readonly ci: PrivateKey;
  readonly orgRoot: PrivateKey;
  readonly trustFile: string;
}

const slot = (k: PrivateKey) => ({
  current: { algorithm: k.algorithm, public: k.publicKey.base64 },
  previous: null,
  rejectBefore: null,
  retireAt: null,
  successor: null,
});

/** Creates CI and org-root keys and writes trust.json under `dir`. */
export function makeTrust(dir: string): TestTrust {
  const ci = generatePrivateKey('ed25519');
  const orgRoot = generatePrivateKey('ed25519');
  const trustFile = join(dir, 'trust.json');
  writeFileSync(
    trustFile,
    JSON.stringify({
      schemaVersion: 1,
      ciReleaseKey: slot(ci),
      cacheKeys: [],
      orgRootKey: slot(orgRoot),
    }),
  );
  return { ci, orgRoot, trustFile };
}

function sel(partial: Partial<NormalizedSelector>): NormalizedSelector {
  return {
    all: false,
    and: [],
    channel: null,
    hosts: [],
    not: null,
    tags: [],
    tagsAny: [],
    ...partial,
  };
}

/** One host of a test fleet. */
export interface HostSpec {
  readonly name: string;
  readonly channel: string;
  readonly wave: number;
  readonly pubkey?: string | null;
}

/** What to release. */
export interface ReleaseSpec {
  readonly hosts: readonly HostSpec[];
  /** Soak minutes per wave (same for every channel); its length is the wave count. */
  readonly soakMinutes: readonly number[];
  readonly ciCommit: string;
  readonly signedAt: string;
  readonly onHealthFailure?: 'halt' | 'rollback-and-halt';
  readonly revocations?: Revocations['revocations'];
  readonly nonces?: BootstrapNonces['bootstrapNonces'];
  /** Closure suffix, so a new commit gives new targets. */
  readonly closureTag?: string;
  /**
   * Evidence knobs per wave. Absent: the simulated agents declare no probe,
   * so each wave's signed policy opts out explicitly
   * (`allowNoEnforceProbes: true`) and keeps the other defaults.
   */
  readonly evidence?: readonly WaveEvidence[];
  /** Signed operators and their roles (absent: none declared). */
  readonly operators?: Readonly<Record<string, { readonly role: 'viewer' | 'operator' | 'admin' }>>;
  /** Approval per wave (absent: the key is left out, i.e. "auto"). */
  readonly approval?: readonly ('auto' | 'manual')[];
  /** Whether an operator may clear a Failed or Reverted rollout (absent: left out, false). */
  readonly operatorClear?: boolean;
  /** One disruption budget over the hosts of wave 0: at most this many in flight (absent: none). */
  readonly maxInFlight?: number;
}

/** The signed per-wave evidence knobs of a release. */
export interface WaveEvidence {
  readonly minSoaked: number;
  readonly waitForNeverSeenMinutes: number | null;
  readonly allowNoEnforceProbes: boolean;
}

const NO_PROBES_DECLARED: WaveEvidence = {
  minSoaked: 1,
  waitForNeverSeenMinutes: null,
  allowNoEnforceProbes: true,
};

function evidenceOf(
  spec: ReleaseSpec,
  wave: number,
): WaveEvidence & { readonly approval?: 'auto' | 'manual' } {
  const e = spec.evidence?.[wave] ?? NO_PROBES_DECLARED;
  const approval = spec.approval?.[wave];
  return approval === undefined ? e : { ...e, approval };
}

/** The closure a host runs in a release. */
export function closureOf(host: string, tag: string): string {
  const h = Buffer.from(`${host}-${tag}`)
    .toString('hex')
    .replace(/[^0-9a-d]/g, 'a');
  return `${h.padEnd(32, '0').slice(0, 32)}-nixos-system-${host}`;
}

/** Written artifacts: the values and the rollout ids. */
export interface Release {
  readonly fleet: FleetResolved;
  readonly manifests: ReadonlyMap<string, RolloutManifest>;
}

function write(dir: string, rel: string, value: unknown, key: PrivateKey): Uint8Array {
  const signed = signCanonical(value, key);
  if (!signed.ok) throw new Error(`cannot canonicalise ${rel}: ${signed.error.message}`);
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, signed.value.canonical);
  writeFileSync(`${path}.sig`, signed.value.signature);
  return signed.value.canonical;
}

/** Writes a signed release into `dir` (overwriting the previous one). */
export function writeRelease(dir: string, trust: TestTrust, spec: ReleaseSpec): Release {
  const tag = spec.closureTag ?? spec.ciCommit.slice(0, 8);
  const channels = [...new Set(spec.hosts.map((h) => h.channel))].sort();
  const waves: FleetResolved['waves'] = {};
  for (const c of channels) {
    waves[c] = spec.soakMinutes.map((soakMinutes, i) => ({
      hosts: spec.hosts
        .filter((h) => h.channel === c && h.wave === i)
        .map((h) => h.name)
        .sort(),
      soakMinutes,
      ...evidenceOf(spec, i),
    }));
  }
  const hosts: FleetResolved['hosts'] = {};
  for (const h of spec.hosts) {
    hosts[h.name] = {
      channel: h.channel,
      closureHash: closureOf(h.name, tag),
      pubkey: h.pubkey ?? null,
      system: 'x86_64-linux',
      tags: [`wave-${h.wave}`],
    };
  }
  const meta = { ciCommit: spec.ciCommit, schemaVersion: 1 as const, signedAt: spec.signedAt };
  const channelConfig = {
    compliance: { frameworks: [], mode: 'enforce' as const },
    freshnessWindow: 1440,
    rolloutPolicy: 'staged',
    signingIntervalMinutes: 60,
  };
  const budgetSelector = sel({ tags: ['wave-0'] });
  const fleet: FleetResolved = {
    channelEdges: [],
    channels: Object.fromEntries(channels.map((c) => [c, channelConfig])),
    disruptionBudgets:
      spec.maxInFlight === undefined
        ? []
        : [{ selector: budgetSelector, maxInFlight: spec.maxInFlight, maxInFlightPct: null }],
    edges: [],
    hosts,
    meta,
    rolloutPolicies: {
      staged: {
        healthGate: {},
        onHealthFailure: spec.onHealthFailure ?? 'rollback-and-halt',
        ...(spec.operatorClear === undefined ? {} : { operatorClear: spec.operatorClear }),
        strategy: 'staged',
        waves: spec.soakMinutes.map((soakMinutes, i) => ({
          selector: sel({ tags: [`wave-${i}`] }),
          soakMinutes,
          ...evidenceOf(spec, i),
        })),
      },
    },
    schemaVersion: 1,
    waves,
    ...(spec.operators === undefined ? {} : { operators: spec.operators }),
  };
  const fleetBytes = write(dir, 'fleet.resolved.json', fleet, trust.ci);
  const fleetHash = sha256Hex(fleetBytes);
  const manifests = new Map<string, RolloutManifest>();
  for (const c of channels) {
    const m: RolloutManifest = {
      channel: c,
      channelRef: spec.ciCommit,
      complianceFrameworks: [],
      displayName: `${c}@${spec.ciCommit.slice(0, 7)}`,
      disruptionBudgets:
        spec.maxInFlight === undefined
          ? []
          : [
              {
                selector: budgetSelector,
                hosts: spec.hosts
                  .filter((h) => h.wave === 0)
                  .map((h) => h.name)
                  .sort(),
                maxInFlight: spec.maxInFlight,
                maxInFlightPct: null,
              },
            ],
      fleetResolvedHash: fleetHash,
      freshnessWindow: 1440,
      healthGate: {},
      hostSet: spec.hosts
        .filter((h) => h.channel === c)
        .map((h) => ({
          hostname: h.name,
          targetClosure: closureOf(h.name, tag),
          waveIndex: h.wave,
        }))
        .sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
      meta,
      onHealthFailure: spec.onHealthFailure ?? 'rollback-and-halt',
      ...(spec.operatorClear === undefined ? {} : { operatorClear: spec.operatorClear }),
      schemaVersion: 1,
      waves: spec.soakMinutes.map((soakMinutes, i) => ({ soakMinutes, ...evidenceOf(spec, i) })),
    };
    const id = `${c}@${spec.ciCommit}`;
    write(dir, `rollouts/${id}.json`, m, trust.ci);
    manifests.set(id, m);
  }
  const rev: Revocations = { meta, revocations: spec.revocations ?? [], schemaVersion: 1 };
  write(dir, 'revocations.json', rev, trust.ci);
  const nonces: BootstrapNonces = { bootstrapNonces: spec.nonces ?? [], meta, schemaVersion: 1 };
  write(dir, 'bootstrap-nonces.json', nonces, trust.ci);
  return { fleet, manifests };
}

/** Mints a bootstrap token with the org root key. */
export function mintToken(trust: TestTrust, claims: BootstrapToken['claims']): BootstrapToken {
  const t = mintBootstrapToken(claims, trust.orgRoot);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}
