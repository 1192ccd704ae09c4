// The binary cache the harness and the demo run against: a signing key made
// with nix-store, closures pushed with `nix copy` (signed or, to exercise
// refusal, unsigned), and the cache directory served over HTTP on one
// address. Real Nix, real HTTP; no stand-ins.
import { createReadStream, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { runNix } from '../nix/index.ts';

/** A binary-cache signing key pair. */
export interface CacheKey {
  readonly name: string;
  readonly secretKeyFile: string;
  /** `name:base64`, as Nix's trusted-public-keys wants it. */
  readonly publicKey: string;
}

/** Generates a binary-cache key pair with nix-store. */
export async function makeCacheKey(dir: string, name: string): Promise<CacheKey> {
  mkdirSync(dir, { recursive: true });
  const secretKeyFile = join(dir, `${name}.sk`);
  const publicKeyFile = join(dir, `${name}.pk`);
  const r = await runNix('nix-store', [
    '--generate-binary-cache-key',
    name,
    secretKeyFile,
    publicKeyFile,
  ]);
  if (!r.ok) throw new Error(`generate-binary-cache-key failed: ${r.message}`);
  return { name, secretKeyFile, publicKey: readFileSync(publicKeyFile, 'utf8').trim() };
}

/** Copies a store path (and its closure) into a file:// binary cache, signing it with `key` (or unsigned). */
export async function pushToCache(
  storePath: string,
  cacheDir: string,
  key: CacheKey | null,
): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  const to = key ? `file://${cacheDir}?secret-key=${key.secretKeyFile}` : `file://${cacheDir}`;
  const r = await runNix('nix', ['copy', '--to', to, storePath], { timeoutMs: 120_000 });
  if (!r.ok) throw new Error(`nix copy --to ${cacheDir} failed: ${r.message}`);
}

/** A binary cache directory served over HTTP on loopback. */
export interface ServedCache {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a binary cache directory (narinfo + nar files) over HTTP on `address` (default 127.0.0.1). */
export async function serveCache(cacheDir: string, address = '127.0.0.1'): Promise<ServedCache> {
  const root = resolve(cacheDir);
  const server: Server = createServer((req, res) => {
    const rel = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const file = join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, address, ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
