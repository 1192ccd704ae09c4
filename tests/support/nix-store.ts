// Test support: real Nix store paths and a real signed binary cache, without
// nixpkgs. A "system closure" is a tiny builtins.derivation whose
// bin/switch-to-configuration the test controls. Shared by the release,
// agent and harness tests; not used by production code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

export {
  makeCacheKey,
  pushToCache,
  serveCache,
  type CacheKey,
  type ServedCache,
} from '../../ts/harness/cache.ts';
