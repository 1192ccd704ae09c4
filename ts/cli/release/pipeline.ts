// `nixfleet release`, the CI side of the trust flow: evaluate → print the
// fleet's warnings, refuse unaccepted safety-relevant ones → refuse changed
// irrevocable values (irrevocable.ts) → drop expired pins → build every selected toplevel in one batch (pin-aware, build.ts) →
// push hook per closure, concurrently with a bound →
// inject closureHash → stamp meta → canonicalise → sign hook → smoke verify →
// one rollout manifest per channel, signed → revocations and bootstrap-nonces
// sidecars, signed → write the release directory atomically → summary.
// Any failure aborts before the write: the previous release stays as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalBytes,
  sha256Hex,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
  type TrustConfig,
  type VerifyResult,
} from '../../trust/index.ts';
import type { FleetResolved } from '../../contracts/index.ts';
import { checkComplianceFailures, observedLines, requireGate } from './compliance.ts';
import { checkDiagnostics } from './diagnostics.ts';
import { ReleaseError } from './errors.ts';
import { commitRelease } from './git.ts';
import { signWithHook } from './hooks.ts';
import { buildHosts, instantiateHosts, type BuildTarget } from './build.ts';
import { dryRunPlan, type DryRunPlan } from './dry-run.ts';
import { evaluateFleet, type FleetSource } from './nix-steps.ts';
import type { ReleaseProgress } from './progress.ts';
import { pushAll } from './push.ts';
import { probesNotRendered, probesToSign, readRenderedProbes } from './probes.ts';
import { guardIrrevocable, type IrrevocableAccept } from './irrevocable.ts';
import type { IrrevocableAcceptance, IrrevocableSet } from '../../core/index.ts';
import {
  anchorManifest,
  canReuse,
  dropExpiredPins,
  foreignPins,
  planRelease,
  sameCommit,
  smokeWindowSecs,
  stampTime,
  type EvaluatedFleet,
  type SignedProbes,
} from './project.ts';
import { readPreviousRelease, writeReleaseAtomically, type ReleaseFile } from './write.ts';

/** Which hosts to build: every host, every host but some, or a list. */
export type HostSelection =
  | { readonly kind: 'auto'; readonly exclude: readonly string[] }
  | { readonly kind: 'list'; readonly hosts: readonly string[] };

/** Parses `auto`, `auto:exclude=a,b` or `a,b,c`. */
export function parseHostSelection(text: string): HostSelection | null {
  if (text === 'auto') return { kind: 'auto', exclude: [] };
  const m = /^auto:exclude=(.+)$/.exec(text);
  if (m) return { kind: 'auto', exclude: m[1]!.split(',').filter(Boolean) };
  const hosts = text.split(',').filter(Boolean);
  return hosts.length > 0 ? { kind: 'list', hosts } : null;
}

/** Inputs of {@link runRelease}, parsed and validated by the CLI. */
export interface ReleaseOptions {
  readonly source: FleetSource;
  readonly hosts: HostSelection;
  readonly signCmd: string;
  readonly pushCmd: string | null;
  readonly signatureAlgorithm: 'ed25519' | 'ecdsa-p256';
  readonly releaseDir: string;
  readonly ciCommit: string;
  readonly pinSourceUrl: string | null;
  /** Trust configuration whose ciReleaseKey verifies what the sign hook produced. */
  readonly trust: TrustConfig;
  readonly now: Date;
  /** Re-sign even when nothing changed. */
  readonly forceResign: boolean;
  readonly gitCommit: boolean;
  readonly gitPush: boolean;
  /** Nix's --max-jobs and the bound on concurrent push hooks; null = Nix's default, pushes 4 at a time. */
  readonly jobs: number | null;
  /** `--accept-irrevocable-change host:name`, each recorded in the signed release. */
  readonly acceptIrrevocable: readonly IrrevocableAccept[];
  /** Who accepts them (`--accepted-by`, or NIXFLEET_ACCEPTED_BY). */
  readonly acceptedBy: string | null;
  /** Evaluate and print the plan only ({@link planDryRun}). */
  readonly dryRun: boolean;
  /** Messages (plain text). */
  readonly log: (line: string) => void;
  /** Each host's finished steps (built, pushed). */
  readonly progress: (p: ReleaseProgress) => void;
}

/** What a release did. */
export interface ReleaseSummary {
  readonly reused: boolean;
  readonly reason: string;
  readonly signedAt: string;
  readonly ciCommit: string;
  readonly closures: Readonly<Record<string, string>>;
  readonly rollouts: readonly string[];
  readonly unwavedHosts: readonly string[];
  readonly droppedPins: readonly string[];
  readonly prunedNonces: number;
  readonly warnings: readonly string[];
  readonly files: readonly string[];
}

function selectHosts(all: readonly string[], selection: HostSelection): string[] {
  if (selection.kind === 'auto') return all.filter((h) => !selection.exclude.includes(h));
  const unknown = selection.hosts.filter((h) => !all.includes(h));
  if (unknown.length > 0) {
    throw new ReleaseError(
      'RELEASE_ERR_ARGS',
      `--hosts names hosts the fleet does not declare: ${unknown.join(', ')}`,
    );
  }
  return [...selection.hosts].sort();
}

function expectVerified<T>(r: VerifyResult<T>, artifact: string): void {
  if (!r.ok) {
    throw new ReleaseError(
      'RELEASE_ERR_SMOKE_VERIFY',
      `smoke verify of ${artifact} failed (${r.error.code}): ${r.error.message}. The sign hook's signature does not verify against the trusted CI key for the bytes it was given.`,
      { context: { artifact, code: r.error.code } },
    );
  }
}

/** What a release and a dry run share: the evaluated fleet, the selection, the previous release. */
interface Prepared {
  readonly fleet: EvaluatedFleet;
  readonly resolved: FleetResolved;
  readonly dropped: readonly string[];
  readonly allHosts: readonly string[];
  readonly selected: readonly string[];
  readonly targets: readonly BuildTarget[];
  readonly previous: ReturnType<typeof readPreviousRelease>;
  /** Each host's signed irrevocable values. */
  readonly irrevocable: Readonly<Record<string, IrrevocableSet>>;
  /** Acceptances this release signs (new and kept). */
  readonly acceptances: readonly IrrevocableAcceptance[];
}

async function prepare(opts: ReleaseOptions): Promise<Prepared> {
  const { log } = opts;
  if (!/^[0-9a-f]{7,64}$/.test(opts.ciCommit)) {
    throw new ReleaseError(
      'RELEASE_ERR_ARGS',
      `--ci-commit must be a hex commit id (it becomes the channel ref of rollout ids), got ${JSON.stringify(opts.ciCommit)}`,
    );
  }
  log(
    `evaluating ${opts.source.kind === 'fleet-file' ? opts.source.file : `${opts.source.dir}#fleet`}`,
  );
  const evaluated = await evaluateFleet(opts.source);
  // Before any build: warnings print here, and unaccepted safety ones refuse.
  checkDiagnostics(evaluated.diagnostics, log);
  checkComplianceFailures(evaluated.complianceFailures ?? [], log);
  if (evaluated.blocked) {
    // mkFleet and the release classify alike; this only guards a fleet built
    // by another library version that blocks without saying why.
    throw new ReleaseError(
      'RELEASE_ERR_UNACCEPTED_WARNING',
      'mkFleet refused the fleet for a safety-relevant warning. Fix: run nix-instantiate --eval -A resolved on the fleet to see it.',
    );
  }
  const fleet = evaluated;
  requireGate(
    fleet.resolved,
    fleet.complianceGate,
    opts.source.kind === 'fleet-file' ? opts.source.file : `${opts.source.dir}#fleet`,
  );
  for (const l of observedLines(fleet.resolved)) log(l);
  const { resolved, dropped } = dropExpiredPins(fleet.resolved, opts.now);
  for (const h of dropped) log(`pin of ${h} expired: building from the release commit`);

  const allHosts = Object.keys(resolved.hosts).sort();
  const selected = selectHosts(allHosts, opts.hosts);
  const pinned = foreignPins(resolved, opts.ciCommit).filter((p) => selected.includes(p.host));
  if (pinned.length > 0 && !opts.pinSourceUrl) {
    throw new ReleaseError(
      'RELEASE_ERR_PIN_SOURCE',
      `hosts pinned to another commit need --pin-source-url: ${pinned.map((p) => `${p.host} (pin ${p.commit})`).join(', ')}`,
      { context: { hosts: pinned.map((p) => p.host) } },
    );
  }
  const targets: BuildTarget[] = selected.map((host) => {
    const pin = resolved.hosts[host]?.pin;
    if (!pin || sameCommit(pin.commit, opts.ciCommit)) return { host };
    log(`${host} builds from pinned commit ${pin.commit}`);
    return { host, pinRef: `${opts.pinSourceUrl}?rev=${pin.commit}` };
  });
  const previous = readPreviousRelease(opts.releaseDir);
  // Before any build: a changed irrevocable value refuses here.
  const { irrevocable, acceptances } = guardIrrevocable({
    declared: fleet.irrevocable ?? {},
    previous: previous?.fleetResolved ?? null,
    allHosts,
    selected,
    accept: opts.acceptIrrevocable,
    acceptedBy: opts.acceptedBy,
    ciCommit: opts.ciCommit,
    signedAt: stampTime(opts.now),
    log,
  });
  return {
    fleet,
    resolved,
    dropped,
    allHosts,
    selected,
    targets,
    previous,
    irrevocable,
    acceptances,
  };
}

/**
 * `--dry-run`: evaluates the selected toplevels (no build, push, signature or
 * write) and says, per channel, which hosts change closure against the
 * previous release.
 */
export async function planDryRun(opts: ReleaseOptions): Promise<DryRunPlan> {
  const p = await prepare(opts);
  const inst = await instantiateHosts(opts.source, p.targets, { jobs: opts.jobs, log: opts.log });
  const next: Record<string, string> = {};
  for (const [h, v] of Object.entries(inst)) next[h] = v.out.slice(v.out.lastIndexOf('/') + 1);
  return dryRunPlan(p.resolved, p.selected, next, p.previous?.fleetResolved ?? null);
}

/** Runs the whole release; throws {@link ReleaseError} without writing anything on failure. */
export async function runRelease(opts: ReleaseOptions): Promise<ReleaseSummary> {
  const { log } = opts;
  const {
    fleet,
    resolved,
    dropped,
    allHosts,
    selected,
    targets,
    previous,
    irrevocable,
    acceptances,
  } = await prepare(opts);
  // Unselected hosts keep the closure of the previous release, so building a
  // subset never drops the rest of the fleet from its rollouts.
  // Their probe sets are what the previous release signed, checked against
  // today's declaration like a fresh build.
  const closures: Record<string, string> = {};
  const probes: Record<string, SignedProbes> = {};
  const notRendered: string[] = [];
  for (const h of allHosts) {
    const prev = previous?.fleetResolved.hosts?.[h]?.closureHash;
    if (selected.includes(h) || !prev) continue;
    closures[h] = prev;
    const signed = previous?.probes[h];
    const p = probesToSign(
      h,
      fleet.healthChecks[h],
      signed === undefined || signed === null
        ? {
            ok: false,
            problem: `not built, and the previous release signed no probe set for it (build it: --hosts)`,
          }
        : { ok: true, probes: signed },
    );
    if (p.ok) probes[h] = p.probes;
    else notRendered.push(p.line);
  }

  const work = mkdtempSync(join(tmpdir(), 'nixfleet-release-'));
  try {
    const built = await buildHosts(opts.source, targets, {
      jobs: opts.jobs,
      gcRoot: join(work, 'result'),
      log,
    });
    const toPush: string[] = [];
    for (const [i, host] of selected.entries()) {
      const path = built[host]!;
      closures[host] = path.slice(path.lastIndexOf('/') + 1);
      // One event per host and step: CI logs show what was built for whom.
      opts.progress({
        step: 'built',
        host,
        detail: closures[host]!,
        done: i + 1,
        total: selected.length,
      });
      const p = probesToSign(host, fleet.healthChecks[host], readRenderedProbes(path, host));
      // One refusal names every host that falls short.
      if (!p.ok) notRendered.push(p.line);
      else {
        probes[host] = p.probes;
        toPush.push(host);
      }
    }
    if (notRendered.length > 0) throw probesNotRendered(notRendered.sort());
    if (opts.pushCmd) await pushAll(opts.pushCmd, toPush, built, opts.jobs, opts.progress);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const signedAt = stampTime(opts.now);
  const plan = planRelease(
    { ...fleet, resolved },
    {
      closures,
      probes,
      irrevocable,
      acceptances,
      stamp: { signedAt, ciCommit: opts.ciCommit, signatureAlgorithm: opts.signatureAlgorithm },
    },
  );
  const base = {
    closures,
    unwavedHosts: plan.unwavedHosts,
    droppedPins: dropped,
    prunedNonces: plan.prunedNonces,
    warnings: fleet.warnings,
  };

  if (previous && !opts.forceResign) {
    const decision = canReuse(previous, plan, opts.now);
    if (decision.reuse) {
      log(`unchanged: keeping the previous release (${decision.reason})`);
      return {
        ...base,
        reused: true,
        reason: decision.reason,
        signedAt: previous.fleetResolved.meta.signedAt ?? signedAt,
        ciCommit: previous.fleetResolved.meta.ciCommit ?? opts.ciCommit,
        rollouts: [],
        files: [],
      };
    }
    log(decision.reason);
  }

  const verifyOpts = {
    trust: opts.trust,
    now: opts.now,
    freshnessWindowSecs: smokeWindowSecs(plan.fleetResolved),
  };
  const files: ReleaseFile[] = [];
  const sign = async (
    path: string,
    value: unknown,
  ): Promise<{ bytes: Uint8Array; sig: Uint8Array }> => {
    const bytes = canonicalBytes(value);
    if (!bytes.ok)
      throw new ReleaseError(
        'RELEASE_ERR_INVALID_FLEET',
        `${path}: cannot canonicalise: ${bytes.error.message}`,
      );
    log(`signing ${path}`);
    const sig = await signWithHook(opts.signCmd, path, bytes.value);
    files.push({ path, bytes: bytes.value }, { path: `${path}.sig`, bytes: sig });
    return { bytes: bytes.value, sig };
  };

  const fr = await sign('fleet.resolved.json', plan.fleetResolved);
  expectVerified(verifyArtifact(fr.bytes, fr.sig, verifyOpts), 'fleet.resolved.json');
  const fleetResolvedHash = sha256Hex(fr.bytes);

  for (const [id, manifest] of plan.manifests) {
    const m = await sign(`rollouts/${id}.json`, anchorManifest(manifest, fleetResolvedHash));
    expectVerified(
      verifyRolloutManifest(m.bytes, m.sig, {
        ...verifyOpts,
        expectedRolloutId: id,
        fleetResolvedHash,
      }),
      `rollouts/${id}.json`,
    );
  }
  const rv = await sign('revocations.json', plan.revocations);
  expectVerified(verifyRevocations(rv.bytes, rv.sig, verifyOpts), 'revocations.json');
  const bn = await sign('bootstrap-nonces.json', plan.bootstrapNonces);
  expectVerified(verifyBootstrapNonces(bn.bytes, bn.sig, verifyOpts), 'bootstrap-nonces.json');

  writeReleaseAtomically(opts.releaseDir, files);
  log(`wrote ${files.length} files to ${opts.releaseDir}`);
  if (opts.gitCommit) await commitRelease(opts.releaseDir, opts.ciCommit, opts.gitPush);

  return {
    ...base,
    reused: false,
    reason: previous ? 'fleet content changed or re-signing due' : 'first release',
    signedAt,
    ciCommit: opts.ciCommit,
    rollouts: [...plan.manifests.keys()],
    files: files.map((f) => f.path),
  };
}
