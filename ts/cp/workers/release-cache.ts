// The last release this CP adopted, kept on disk as the signed bytes it
// verified (fleet.resolved plus its channels' rollout manifests, same layout
// as a release directory). Why: the release source only holds the newest
// release. When that release cannot be adopted (a manifest refused) and the
// CP restarts, the source alone would leave it with no verified release — the
// rollout it was running stuck without its manifest. The poller falls back
// to this cache only then, and verifies it exactly like the source (the cache
// grants nothing a release directory would not: a tampered cache is refused).
// Not a database table on purpose: a database wipe keeps it (like the
// issuance log); deleting it only loses the fallback.
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetResolved, RolloutManifest } from '../../contracts/index.ts';
import { ownValue } from '../../core/index.ts';
import type { Logger } from '../log.ts';
import type { VerifiedArtifact } from '../runtime/artifacts.ts';
import { dirSource, type ArtifactSource } from './artifact-source.ts';

/** One signed file pair. */
export interface SignedFile {
  /** Relative path, e.g. `rollouts/stable@<commit>.json`. */
  readonly rel: string;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** The on-disk copy of the last adopted release. */
export interface ReleaseCache {
  readonly dir: string;
  /** Reads it back like a release directory. */
  readonly source: ArtifactSource;
  /**
   * Replaces the cached release: manifests first, fleet.resolved last, each
   * file atomically; manifests of earlier releases are removed. A torn write
   * leaves a pair that fails verification (refused on restore), never a
   * wrong one. A failed save removes the whole copy (best effort) and
   * throws: an older release left behind must never be restored over the
   * one the CP actually ran.
   */
  save(fleet: SignedFile, manifests: readonly SignedFile[]): void;
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes, { mode: 0o644 });
  renameSync(tmp, path);
}

function writeRelease(dir: string, fleet: SignedFile, manifests: readonly SignedFile[]): void {
  const rollouts = join(dir, 'rollouts');
  mkdirSync(rollouts, { recursive: true });
  const keep = new Set<string>();
  for (const m of manifests) {
    writeAtomic(join(dir, m.rel), m.bytes);
    writeAtomic(join(dir, `${m.rel}.sig`), m.signature);
    const name = m.rel.slice('rollouts/'.length);
    keep.add(name).add(`${name}.sig`);
  }
  writeAtomic(join(dir, `${fleet.rel}.sig`), fleet.signature);
  writeAtomic(join(dir, fleet.rel), fleet.bytes);
  for (const f of readdirSync(rollouts)) {
    if (!keep.has(f)) rmSync(join(rollouts, f), { force: true });
  }
}

/**
 * A release cache in `dir` (created on first save).
 *
 * @example const cache = releaseCache('/var/lib/nixfleet-cp/last-release'); cache.save(fleet, manifests);
 */
export function releaseCache(dir: string): ReleaseCache {
  return {
    dir,
    source: dirSource(dir),
    save(fleet, manifests) {
      try {
        writeRelease(dir, fleet, manifests);
      } catch (e) {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          /* the original failure is what the caller logs */
        }
        throw e;
      }
    },
  };
}

/**
 * Copies an adopted release (its fleet.resolved and the manifests of its own
 * channels at its ciCommit) into the cache; a failure is logged, not thrown.
 *
 * @example saveAdopted(cache, { fleet, manifests }, log);
 */
export function saveAdopted(
  cache: ReleaseCache,
  release: {
    readonly fleet: VerifiedArtifact<FleetResolved>;
    readonly manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
  },
  log: Logger,
): void {
  const { fleet } = release;
  const ref = fleet.value.meta.ciCommit;
  const mine = [...release.manifests].filter(
    ([id]) =>
      ref !== null &&
      id.endsWith(`@${ref}`) &&
      ownValue(fleet.value.channels, id.split('@')[0]!) !== undefined,
  );
  try {
    cache.save(
      { rel: 'fleet.resolved.json', bytes: fleet.bytes, signature: fleet.signature },
      mine.map(([id, m]) => ({
        rel: `rollouts/${id}.json`,
        bytes: m.bytes,
        signature: m.signature,
      })),
    );
  } catch (e) {
    log.warn(
      { err: e, dir: cache.dir, code: 'CP_ERR_ARTIFACT_CACHE' },
      'cannot keep a copy of the adopted release; a restart will depend on the source',
    );
  }
}
