// Where signed release artifacts come from: a release directory on disk or
// an HTTP(S) base URL (optionally with a bearer token read from a file on
// every fetch, so rotation needs no restart). Both expose the same layout:
// fleet.resolved.json(.sig), rollouts/<rolloutId>.json(.sig),
// revocations.json(.sig), bootstrap-nonces.json(.sig). Owns fetching, and
// saying why a source has nothing (the alert text); nothing fetched here is
// trusted before ts/trust verifies it.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A source of artifact bytes by relative path; `null` when absent. */
export interface ArtifactSource {
  readonly describe: string;
  read(relPath: string): Promise<Uint8Array | null>;
  /**
   * Why the source as a whole is not there (a release directory that does
   * not exist), or null. Asked when an artifact every release has is absent,
   * so the alert can name a mistyped flag rather than a missing file.
   */
  missing?(): Promise<string | null>;
}

const SAFE_REL = /^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/;

function checkRel(rel: string): void {
  if (!SAFE_REL.test(rel) || rel.split('/').some((s) => s === '..' || s === '.')) {
    throw new Error(`refusing artifact path ${JSON.stringify(rel)}`);
  }
}

/** A release directory. */
export function dirSource(dir: string): ArtifactSource {
  return {
    describe: `dir:${dir}`,
    async read(rel) {
      checkRel(rel);
      try {
        return new Uint8Array(await readFile(join(dir, rel)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    async missing() {
      try {
        const st = await stat(dir);
        return st.isDirectory() ? null : `release directory ${dir} is not a directory`;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
        return code === 'ENOENT'
          ? `release directory ${dir} does not exist`
          : `release directory ${dir} cannot be read (${code})`;
      }
    },
  };
}

/** Largest artifact accepted from HTTP (64 MiB). */
const MAX_HTTP_BYTES = 64 * 1024 * 1024;

/** An HTTP(S) base URL, with an optional bearer token file. */
export function httpSource(baseUrl: string, tokenFile: string | null): ArtifactSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    describe: `http:${base}`,
    async read(rel) {
      checkRel(rel);
      const headers: Record<string, string> = {};
      if (tokenFile !== null) {
        const token = (await readFile(tokenFile, 'utf8')).trim();
        headers['authorization'] = `Bearer ${token}`;
      }
      // undici loads with the first fetch: a CP serving --release-dir never pays its ~15 MB.
      const { request } = await import('undici');
      const res = await request(new URL(rel, base), {
        method: 'GET',
        headers,
        headersTimeout: 30_000,
        bodyTimeout: 60_000,
      });
      if (res.statusCode === 404) {
        await res.body.dump();
        return null;
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        throw new Error(`GET ${rel}: HTTP ${res.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > MAX_HTTP_BYTES)
          throw new Error(`GET ${rel}: larger than ${MAX_HTTP_BYTES} bytes`);
        chunks.push(c as Buffer);
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}

/**
 * The alert for an artifact every release has (fleet.resolved) that no
 * source holds: the source itself is missing (a mistyped --release-dir:
 * CP_ERR_RELEASE_SOURCE_MISSING) or holds nothing signed
 * (CP_ERR_ARTIFACT_MISSING); and what the CP serves meanwhile.
 *
 * @example await describeAbsence(sources, 'fleet.resolved.json', { serving: null, restored: false })
 */
export async function describeAbsence(
  sources: readonly ArtifactSource[],
  rel: string,
  now: { readonly serving: { readonly signedAt: string } | null; readonly restored: boolean },
): Promise<{ code: string; message: string }> {
  let gone: string | null = null;
  for (const s of sources) gone ??= (await s.missing?.()) ?? null;
  const what =
    gone !== null
      ? `${gone}; fix --release-dir (or publish a release there)`
      : `no signed ${rel} in ${sources.map((s) => s.describe).join(', ')}; publish a release (nixfleet release) or fix --release-dir / --artifact-url`;
  const kept =
    now.serving === null
      ? 'no release to serve'
      : now.restored
        ? `serving the release signed ${now.serving.signedAt} restored from the CP's copy (stale)`
        : `serving the release signed ${now.serving.signedAt} adopted before the source went missing (stale)`;
  return {
    code: gone !== null ? 'CP_ERR_RELEASE_SOURCE_MISSING' : 'CP_ERR_ARTIFACT_MISSING',
    message: `${what}; ${kept}`,
  };
}

/** `rel` from the first source that has it; null when none has; the last error when all failed. */
export async function readFirst(
  sources: readonly ArtifactSource[],
  rel: string,
): Promise<Uint8Array | null> {
  let lastError: unknown = null;
  for (const s of sources) {
    try {
      const b = await s.read(rel);
      if (b !== null) return b;
    } catch (e) {
      lastError = e;
    }
  }
  if (lastError !== null) throw lastError;
  return null;
}
