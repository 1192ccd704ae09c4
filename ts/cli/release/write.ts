// Writes a release directory all or nothing, and reads the previous one back.
// Files are staged in a sibling directory, fsynced, then swapped in with
// renames; on any failure the previous release is left as it was.
import {
  closeSync,
  existsSync,
  readdirSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type {
  BootstrapNonces,
  FleetResolved,
  Revocations,
  RolloutManifest,
} from '../../contracts/index.ts';
import { ReleaseError } from './errors.ts';
import type { PreviousRelease } from './project.ts';

/** One file of a release: path relative to the release directory, exact bytes. */
export interface ReleaseFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `releaseDir` with exactly `files`. The staging directory lives
 * next to it (same filesystem, so renames are atomic); readers see either
 * the old directory or the new one, never a mix.
 */
export function writeReleaseAtomically(releaseDir: string, files: readonly ReleaseFile[]): void {
  const parent = dirname(releaseDir);
  const base = basename(releaseDir);
  const tag = randomBytes(6).toString('hex');
  const staging = join(parent, `.${base}.staging-${tag}`);
  const old = join(parent, `.${base}.old-${tag}`);
  try {
    mkdirSync(parent, { recursive: true });
    for (const f of files) {
      if (f.path.includes('..') || f.path.startsWith('/'))
        throw new Error(`refusing release path ${f.path}`);
      const target = join(staging, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.bytes, { mode: 0o644 });
      fsyncPath(target);
    }
    mkdirSync(staging, { recursive: true });
    fsyncPath(staging);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new ReleaseError(
      'RELEASE_ERR_WRITE',
      `staging the release next to ${releaseDir} failed: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const hadOld = existsSync(releaseDir);
  try {
    if (hadOld) renameSync(releaseDir, old);
    try {
      renameSync(staging, releaseDir);
    } catch (e) {
      if (hadOld) renameSync(old, releaseDir);
      throw e;
    }
    fsyncPath(parent);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw new ReleaseError(
      'RELEASE_ERR_WRITE',
      `installing the release at ${releaseDir} failed: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The previous release's artifacts, or null when there is none (or it cannot be read). */
export function readPreviousRelease(releaseDir: string): PreviousRelease | null {
  const fleetResolved = readJson<FleetResolved>(join(releaseDir, 'fleet.resolved.json'));
  if (!fleetResolved || typeof fleetResolved !== 'object' || !fleetResolved.meta) return null;
  // One release holds one manifest per channel; a host sits in one channel.
  const probes: Record<string, PreviousRelease['probes'][string]> = {};
  let names: string[] = [];
  try {
    names = readdirSync(join(releaseDir, 'rollouts')).filter((f) => f.endsWith('.json'));
  } catch {
    names = [];
  }
  for (const f of names) {
    const m = readJson<RolloutManifest>(join(releaseDir, 'rollouts', f));
    for (const h of Array.isArray(m?.hostSet) ? m.hostSet : [])
      probes[h.hostname] = h.probes ?? null;
  }
  return {
    fleetResolved,
    probes,
    revocations: readJson<Revocations>(join(releaseDir, 'revocations.json')),
    bootstrapNonces: readJson<BootstrapNonces>(join(releaseDir, 'bootstrap-nonces.json')),
  };
}
