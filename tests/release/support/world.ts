// The world the release tests share: a scratch directory, a CI signing key
// with its trust.json, a real signed file binary cache, fleet files whose
// toplevels are tiny builtins.derivation closures, and `nixfleet release`
// flags wiring them together (openssl as the external sign hook).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { keygenCommand } from '../../../ts/cli/commands/keys.ts';
import type { ReleaseFlags } from '../../../ts/cli/commands/release.ts';
import type { CliIo } from '../../../ts/cli/io.ts';
import { parseTrustConfigBytes, sha256Hex, type TrustConfig } from '../../../ts/trust/index.ts';
import { makeCacheKey, type CacheKey } from '../../support/nix-store.ts';

/** Scratch directory of this test file (removed after it). */
export const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-release-test-'));

export const NOW = '2026-05-16T01:00:00Z';
export const COMMIT = '3f2a9c1d0e4b5a6c';

/** A CLI io at NOW that keeps what was written. */
export function io(): CliIo & { out: string[]; err: string[] } {
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

/**
 * A fleet file; `gen` changes every closure, `broken` makes one host's build
 * fail, `canaryTag` is the tag the canary wave selects (web-01 carries "canary").
 */
export function fleetFile(
  name: string,
  opts: { gen: string; broken?: string; pinDb?: string; extra?: string; canaryTag?: string },
): string {
  const file = join(tmp, `${name}.nix`);
  writeFileSync(
    file,
    `{ mkFleet, ... }:
let
  top = host: builtins.derivation {
    name = "nixos-system-\${host}-${opts.gen}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    args = [ "-c" (if host == "${opts.broken ?? ''}" then "echo 'compiling ${'$'}{host}: error: boom' >&2; exit 1" else "mkdir -p $out/bin; printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration; chmod +x $out/bin/switch-to-configuration") ];
  };
  host = name: tags: { system = builtins.currentSystem; channel = "stable"; inherit tags; configuration.config.system.build.toplevel = top name; };
in
mkFleet {
  hosts.web-01 = host "web-01" [ "canary" "web" ];
  hosts.web-02 = host "web-02" [ "web" ];
  hosts.db-01 = host "db-01" [ "db" ] ${opts.pinDb ? `// { pin = { commit = "${opts.pinDb}"; reason = "hold"; expiresAt = null; }; }` : ''};
  channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [ { selector.tags = [ "${opts.canaryTag ?? 'canary'}" ]; soakMinutes = 5; waitForNeverSeenMinutes = 60; } { selector.all = true; } ];
    onHealthFailure = "halt";
  };
  disruptionBudgets = [ { selector.tags = [ "db" ]; maxInFlight = 1; } ];
  revocations = [ { hostname = "old-01"; notBefore = "2026-05-01T00:00:00Z"; } ];
  bootstrapNonces = [
    { nonce = "0123456789abcdef0123456789abcdef"; hostname = "web-01"; expiresAt = "2026-04-01T00:00:00Z"; }
    { nonce = "fedcba9876543210fedcba9876543210"; hostname = "web-02"; expiresAt = "2026-06-01T00:00:00Z"; }
  ];
  ${opts.extra ?? ''}
}
`,
  );
  return file;
}

let trust: TrustConfig;
let cacheKey: CacheKey;
export const cacheDir = join(tmp, 'cache');
export const ciKey = join(tmp, 'ci.key');
export const trustFile = join(tmp, 'trust.json');
// An external signer: any tool that writes a raw signature honours the hook contract.
export const opensslSign = `openssl pkeyutl -sign -inkey ${ciKey} -rawin -in "$NIXFLEET_INPUT" -out "$NIXFLEET_OUTPUT"`;

/**
 * Registers the world's hooks in the calling test file: a CI key and trust.json, a binary
 * cache signing key before the tests, the scratch directory removed after them.
 *
 * @example useReleaseWorld();
 */
export function useReleaseWorld(): void {
  beforeAll(setUp, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
}

async function setUp(): Promise<void> {
  // openssl is the external signer in these tests; fail loudly if it is missing.
  execFileSync('openssl', ['version']);
  const k = io();
  expect(keygenCommand(k, { out: ciKey, algorithm: 'ed25519', force: false })).toBe(0);
  const pub = JSON.parse(k.out.join('')) as { algorithm: string; public: string };
  const slot = {
    current: pub,
    previous: null,
    rejectBefore: null,
    successor: null,
    retireAt: null,
  };
  writeFileSync(
    trustFile,
    JSON.stringify({ schemaVersion: 1, ciReleaseKey: slot, cacheKeys: [], orgRootKey: null }),
  );
  trust = (
    parseTrustConfigBytes(new Uint8Array(readFileSync(trustFile))) as {
      ok: true;
      value: TrustConfig;
    }
  ).value;
  cacheKey = await makeCacheKey(join(tmp, 'keys'), 'release-test-1');
}

/** Release flags for this world (ed25519 CI key, openssl sign hook, nix copy push hook), overridden by `over`. */
export function flags(over: Partial<ReleaseFlags>): ReleaseFlags {
  return {
    hosts: 'auto',
    signCmd: opensslSign,
    pushCmd: `nix --extra-experimental-features nix-command copy --to "file://${cacheDir}?secret-key=${cacheKey.secretKeyFile}" "$NIXFLEET_PATH"`,
    signatureAlgorithm: 'ed25519',
    releaseDir: join(tmp, 'releases'),
    ciCommit: COMMIT,
    trustFile,
    now: NOW,
    forceResign: false,
    gitCommit: false,
    gitPush: false,
    json: true,
    ...over,
  };
}

/** sha256 of every file under `dir`, by relative path (to compare releases byte for byte). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, `${rel}${f}/`);
      else out[`${rel}${f}`] = sha256Hex(new Uint8Array(readFileSync(p)));
    }
  };
  walk(dir, '');
  return out;
}

/** Verification options of the trust core for this world's artifacts. */
export const verifyOpts = (): { trust: TrustConfig; now: Date; freshnessWindowSecs: number } => ({
  trust,
  now: new Date(NOW),
  freshnessWindowSecs: 1440 * 60,
});
