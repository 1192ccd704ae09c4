// Test support: real Nix store paths and a real signed binary cache, without
// nixpkgs. A "system closure" is a tiny builtins.derivation whose
// bin/switch-to-configuration the test controls. Shared by the release,
// agent and harness tests; not used by production code.
import { createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { runNix } from '../../ts/nix/index.ts';

/** Options of {@link buildToplevel}. */
export interface ToplevelOptions {
  /** Directory for the expression file and the GC-root out-link. */
  readonly workDir: string;
  /** Host name, part of the store path name (`nixos-system-<host>-<generation>`). */
  readonly host: string;
  /** Generation label, e.g. "1" or "bad". */
  readonly generation: string;
  /** Shell script installed as bin/switch-to-configuration (default: exit 0). */
  readonly switchScript?: string;
  /** Extra files: relative path → contents (e.g. etc/nixfleet/agent/health-checks.json). */
  readonly files?: Readonly<Record<string, string>>;
}

/** A built toplevel: absolute store path and its basename (the closureHash). */
export interface BuiltToplevel {
  readonly path: string;
  readonly closureHash: string;
}

/** The Nix expression of a test toplevel, as a string (builtins only). */
export function toplevelExpression(opts: Omit<ToplevelOptions, 'workDir'>): string {
  const files = {
    'bin/switch-to-configuration': opts.switchScript ?? '#!/bin/sh\nexit 0\n',
    ...(opts.files ?? {}),
  };
  const steps = Object.keys(files).map(
    (rel, i) => `mkdir -p "$out/$(dirname '${rel}')"; printf '%s' "$f${i}" > "$out/${rel}"`,
  );
  const env = Object.values(files).map((text, i) => `  f${i} = ${JSON.stringify(text)};`);
  return [
    'builtins.derivation {',
    `  name = ${JSON.stringify(`nixos-system-${opts.host}-${opts.generation}`)};`,
    '  system = builtins.currentSystem;',
    '  builder = "/bin/sh";',
    '  PATH = "/bin:/usr/bin";',
    ...env,
    `  args = [ "-c" ${JSON.stringify(`${steps.join('; ')}; chmod +x "$out/bin/switch-to-configuration"`)} ];`,
    '}',
    '',
  ].join('\n');
}

/** Builds a test toplevel with nix-build; the out-link in workDir keeps it from GC. */
export async function buildToplevel(opts: ToplevelOptions): Promise<BuiltToplevel> {
  mkdirSync(opts.workDir, { recursive: true });
  const file = join(opts.workDir, `toplevel-${opts.host}-${opts.generation}.nix`);
  writeFileSync(file, toplevelExpression(opts));
  const link = join(opts.workDir, `result-${opts.host}-${opts.generation}`);
  const r = await runNix('nix-build', [file, '--out-link', link], { timeoutMs: 120_000 });
  if (!r.ok) throw new Error(`nix-build failed: ${r.message}`);
  const path = r.value.trim().split('\n').pop()!;
  return { path, closureHash: path.slice(path.lastIndexOf('/') + 1) };
}

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
