// Benchmark of `nixfleet release` at fleet scale: fleets of 8, 32 and 256
// hosts whose toplevels are tiny real closures (one /bin/sh derivation per
// host), released with the real pipeline (openssl sign hook, a no-op push
// hook per closure), against one plain `nix-build` of the same number of
// toplevels measured in the same run. Every derivation is salted per run and
// per side, so both sides build everything from scratch.
//
// Prints wall times, the ratio release / nix-build, and the machine's CPU
// pressure (PSI `some`, as a share of the wall time) during each side: the
// machine is shared, and a run under heavy contention is not comparable.
// Run: npx tsx bench/release.bench.ts [--sizes 8,32,256] [--jobs N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keygenCommand } from '../ts/cli/commands/keys.ts';
import { releaseCommand, type ReleaseFlags } from '../ts/cli/commands/release.ts';
import type { CliIo } from '../ts/cli/io.ts';
import { cpuPressureUs } from './cp-load/measure.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = (arg('--sizes') ?? '8,32,256').split(',').map(Number);
const jobs = arg('--jobs');
const NOW = '2026-05-16T01:00:00Z';
const dir = mkdtempSync(join(tmpdir(), 'nixfleet-release-bench-'));
const salt = `${process.pid}-${Date.now()}`;

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (c) => void out.push(typeof c === 'string' ? c : Buffer.from(c).toString()),
    stderr: (t) => void err.push(t),
    readStdin: async () => new Uint8Array(),
    readFile: async (p) => new Uint8Array(readFileSync(p)),
    now: () => new Date(NOW),
  };
}

/** The tiny toplevel of host `h`, as Nix text (h is a generated name, [a-z0-9-]). */
const TOP = (tag: string): string => `top = h: builtins.derivation {
    name = "nixos-system-\${h}-${tag}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration; chmod +x $out/bin/switch-to-configuration" ];
  };
  names = builtins.genList (i: "host-\${toString i}");`;

function fleetFile(n: number): string {
  const file = join(dir, `fleet-${n}.nix`);
  writeFileSync(
    file,
    `{ mkFleet, ... }:
let
  ${TOP(`r${n}-${salt}`)}
in
mkFleet {
  hosts = builtins.listToAttrs (map (h: { name = h; value = { system = builtins.currentSystem; channel = "stable"; tags = [ "all" ]; configuration.config.system.build.toplevel = top h; }; }) (names ${n}));
  channels.stable = { rolloutPolicy = "all"; freshnessWindow = 1440; };
  rolloutPolicies.all = { strategy = "all-at-once"; waves = [ { selector.all = true; } ]; onHealthFailure = "halt"; };
}
`,
  );
  return file;
}

function baselineFile(n: number): string {
  const file = join(dir, `plain-${n}.nix`);
  writeFileSync(
    file,
    `let
  ${TOP(`b${n}-${salt}`)}
in
builtins.listToAttrs (map (h: { name = h; value = top h; }) (names ${n}))
`,
  );
  return file;
}

function timed<T>(fn: () => T): { secs: number; psi: number; value: T } {
  const p0 = cpuPressureUs();
  const t0 = performance.now();
  const value = fn();
  const secs = (performance.now() - t0) / 1000;
  return { secs, psi: (cpuPressureUs() - p0) / 1e6 / secs, value };
}

async function timedAsync<T>(
  fn: () => Promise<T>,
): Promise<{ secs: number; psi: number; value: T }> {
  const p0 = cpuPressureUs();
  const t0 = performance.now();
  const value = await fn();
  const secs = (performance.now() - t0) / 1000;
  return { secs, psi: (cpuPressureUs() - p0) / 1e6 / secs, value };
}

async function main(): Promise<void> {
  const ciKey = join(dir, 'ci.key');
  const k = io();
  if (keygenCommand(k, { out: ciKey, algorithm: 'ed25519', force: false }) !== 0)
    throw new Error(k.err.join('\n'));
  const pub = JSON.parse(k.out.join('')) as { public: string };
  console.log(
    `release bench: sizes ${sizes.join(', ')}; ${jobs ? `--jobs ${jobs}` : "Nix's default --max-jobs"}; salt ${salt}`,
  );
  console.log('hosts  nix-build (s)  psi   release (s)  psi   ratio');
  for (const n of sizes) {
    const base = timed(() =>
      // The same --max-jobs on both sides.
      execFileSync(
        'nix-build',
        [baselineFile(n), '--no-out-link', ...(jobs ? ['--max-jobs', jobs] : [])],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    const flags: ReleaseFlags = {
      fleetFile: fleetFile(n),
      hosts: 'auto',
      signCmd: `openssl pkeyutl -sign -inkey ${ciKey} -rawin -in "$NIXFLEET_INPUT" -out "$NIXFLEET_OUTPUT"`,
      pushCmd: ':',
      signatureAlgorithm: 'ed25519',
      releaseDir: join(dir, `releases-${n}`),
      ciCommit: '3f2a9c1d0e4b5a6c',
      publicKey: pub.public,
      now: NOW,
      forceResign: false,
      gitCommit: false,
      gitPush: false,
      json: true,
      ...(jobs ? { jobs } : {}),
    };
    const c = io();
    const rel = await timedAsync(() => releaseCommand(c, flags));
    if (rel.value !== 0) throw new Error(`release of ${n} hosts failed:\n${c.err.join('\n')}`);
    const built = Object.keys(
      (JSON.parse(c.out.join('')) as { closures: Record<string, string> }).closures,
    ).length;
    if (built !== n) throw new Error(`release of ${n} hosts built ${built}`);
    console.log(
      `${String(n).padStart(5)}  ${base.secs.toFixed(2).padStart(13)}  ${base.psi.toFixed(2)}  ${rel.secs.toFixed(2).padStart(11)}  ${rel.psi.toFixed(2)}  ${(rel.secs / base.secs).toFixed(2)}`,
    );
  }
  console.log(
    'psi: CPU pressure (PSI some) during that side, seconds stalled per wall second; ratio: release / nix-build',
  );
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
