// End to end, for real: a fleet whose toplevels are tiny builtins.derivation
// closures, real nix-build, a push hook copying into a real signed file binary
// cache, an external signer (openssl) as the sign hook, then the trust core
// accepts every artifact; a flipped byte is refused; a second run with no
// change is byte-identical; failing hooks leave the previous release intact.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keygenCommand, signCommand } from '../../ts/cli/commands/keys.ts';
import { releaseCommand, type ReleaseFlags } from '../../ts/cli/commands/release.ts';
import { runBinary, runInProcess } from '../../ts/cli/cli-test-kit.ts';
import type { CliIo } from '../../ts/cli/io.ts';
import {
  canonicalBytes,
  parseTrustConfigBytes,
  sha256Hex,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
  type TrustConfig,
} from '../../ts/trust/index.ts';
import { makeCacheKey, type CacheKey } from '../support/nix-store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-release-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NOW = '2026-05-16T01:00:00Z';
const COMMIT = '3f2a9c1d0e4b5a6c';

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

/** A fleet file; `gen` changes every closure, `broken` makes one host's build fail. */
function fleetFile(
  name: string,
  opts: { gen: string; broken?: string; pinDb?: string; extra?: string },
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
    waves = [ { selector.tags = [ "canary" ]; soakMinutes = 5; } { selector.all = true; } ];
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
const cacheDir = join(tmp, 'cache');
const ciKey = join(tmp, 'ci.key');
const trustFile = join(tmp, 'trust.json');
// An external signer: any tool that writes a raw signature honours the hook contract.
const opensslSign = `openssl pkeyutl -sign -inkey ${ciKey} -rawin -in "$NIXFLEET_INPUT" -out "$NIXFLEET_OUTPUT"`;

beforeAll(async () => {
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
}, 60_000);

function flags(over: Partial<ReleaseFlags>): ReleaseFlags {
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

function snapshot(dir: string): Record<string, string> {
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

const verifyOpts = () => ({ trust, now: new Date(NOW), freshnessWindowSecs: 1440 * 60 });

describe('nixfleet release (end to end)', () => {
  const releaseDir = join(tmp, 'releases');
  let first: Record<string, string>;

  it('releases: builds, pushes to the signed cache, signs, and every artifact verifies', async () => {
    const c = io();
    const code = await releaseCommand(c, flags({ fleetFile: fleetFile('fleet', { gen: 'g1' }) }));
    expect(code, c.err.join('\n')).toBe(0);
    const summary = JSON.parse(c.out.join('')) as {
      closures: Record<string, string>;
      rollouts: string[];
      prunedNonces: number;
    };
    expect(Object.keys(summary.closures).sort()).toEqual(['db-01', 'web-01', 'web-02']);
    expect(summary.rollouts).toEqual([`stable@${COMMIT}`]);
    expect(summary.prunedNonces).toBe(1);

    const read = (f: string) => new Uint8Array(readFileSync(join(releaseDir, f)));
    const fr = verifyArtifact(
      read('fleet.resolved.json'),
      read('fleet.resolved.json.sig'),
      verifyOpts(),
    );
    expect(fr.ok).toBe(true);
    if (!fr.ok) return;
    expect(fr.value.value.hosts['web-01']!.closureHash).toBe(summary.closures['web-01']);
    expect(fr.value.value.meta).toEqual({
      schemaVersion: 1,
      signedAt: NOW,
      ciCommit: COMMIT,
      signatureAlgorithm: 'ed25519',
    });

    const id = `stable@${COMMIT}`;
    const m = verifyRolloutManifest(read(`rollouts/${id}.json`), read(`rollouts/${id}.json.sig`), {
      ...verifyOpts(),
      expectedRolloutId: id,
      fleetResolvedHash: fr.value.sha256,
    });
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.value.value.hostSet.map((h) => [h.hostname, h.waveIndex])).toEqual([
      ['db-01', 1],
      ['web-01', 0],
      ['web-02', 1],
    ]);
    expect(m.value.value.onHealthFailure).toBe('halt');
    expect(m.value.value.waves).toEqual([{ soakMinutes: 5 }, { soakMinutes: 0 }]);
    expect(m.value.value.disruptionBudgets[0]!.hosts).toEqual(['db-01']);
    expect(
      verifyRevocations(read('revocations.json'), read('revocations.json.sig'), verifyOpts()).ok,
    ).toBe(true);
    const bn = verifyBootstrapNonces(
      read('bootstrap-nonces.json'),
      read('bootstrap-nonces.json.sig'),
      verifyOpts(),
    );
    expect(bn.ok && bn.value.value.bootstrapNonces.map((n) => n.hostname)).toEqual(['web-02']);

    // Every closure is in the signed cache.
    for (const c of Object.values(summary.closures)) {
      expect(existsSync(join(cacheDir, `${c.slice(0, 32)}.narinfo`))).toBe(true);
      expect(readFileSync(join(cacheDir, `${c.slice(0, 32)}.narinfo`), 'utf8')).toContain(
        'Sig: release-test-1:',
      );
    }
    first = snapshot(releaseDir);
  }, 180_000);

  it('`nixfleet verify` (the auditor CLI) accepts every artifact and refuses a flipped byte', async () => {
    const common = [
      '--trust-file',
      trustFile,
      '--freshness-window-secs',
      String(1440 * 60),
      '--now',
      NOW,
    ];
    const id = `stable@${COMMIT}`;
    const checks: [string, string[]][] = [
      ['fleet.resolved.json', ['verify', 'artifact', '--artifact']],
      ['revocations.json', ['verify', 'revocations', '--artifact']],
      ['bootstrap-nonces.json', ['verify', 'bootstrap-nonces', '--artifact']],
      [
        `rollouts/${id}.json`,
        [
          'verify',
          'rollout-manifest',
          '--rollout-id',
          id,
          '--fleet-resolved',
          join(releaseDir, 'fleet.resolved.json'),
          '--manifest',
        ],
      ],
    ];
    for (const [file, args] of checks) {
      const path = join(releaseDir, file);
      const ok = await runInProcess([...args, path, '--signature', `${path}.sig`, ...common]);
      expect(ok.code, `${file}: ${ok.stderr}`).toBe(0);
      const bytes = readFileSync(path);
      const tampered = join(tmp, 'tampered.json');
      const copy = Buffer.from(bytes);
      copy[copy.length - 3]! ^= 0x04;
      writeFileSync(tampered, copy);
      const bad = await runInProcess([...args, tampered, '--signature', `${path}.sig`, ...common]);
      expect(bad.code, file).toBe(1);
    }
  });

  it('refuses every artifact with one flipped byte', () => {
    const files = [
      'fleet.resolved.json',
      `rollouts/stable@${COMMIT}.json`,
      'revocations.json',
      'bootstrap-nonces.json',
    ];
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(join(releaseDir, f)));
      const sig = new Uint8Array(readFileSync(join(releaseDir, `${f}.sig`)));
      const flipped = bytes.slice();
      flipped[Math.floor(bytes.length / 2)]! ^= 0x01;
      const badSig = sig.slice();
      badSig[10]! ^= 0x80;
      const verify = f.startsWith('rollouts/')
        ? (b: Uint8Array, s: Uint8Array) =>
            verifyRolloutManifest(b, s, { ...verifyOpts(), expectedRolloutId: `stable@${COMMIT}` })
        : f === 'revocations.json'
          ? (b: Uint8Array, s: Uint8Array) => verifyRevocations(b, s, verifyOpts())
          : f === 'bootstrap-nonces.json'
            ? (b: Uint8Array, s: Uint8Array) => verifyBootstrapNonces(b, s, verifyOpts())
            : (b: Uint8Array, s: Uint8Array) => verifyArtifact(b, s, verifyOpts());
      expect(verify(bytes, sig).ok, f).toBe(true);
      expect(verify(flipped, sig).ok, `${f} flipped`).toBe(false);
      expect(verify(bytes, badSig).ok, `${f}.sig flipped`).toBe(false);
    }
  });

  it('a second run with no change is byte-identical', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('fleet', { gen: 'g1' }),
        now: '2026-05-16T01:20:00Z',
        ciCommit: 'aaaaaaa1',
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    expect(JSON.parse(c.out.join('')).reused).toBe(true);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('re-signs an unchanged fleet once the signing interval has passed', async () => {
    const dir = join(tmp, 'releases-resign');
    const f = fleetFile('fleet', { gen: 'g1' });
    expect(await releaseCommand(io(), flags({ fleetFile: f, releaseDir: dir }))).toBe(0);
    const c = io();
    expect(
      await releaseCommand(
        c,
        flags({ fleetFile: f, releaseDir: dir, now: '2026-05-16T02:30:00Z' }),
      ),
    ).toBe(0);
    expect(JSON.parse(c.out.join('')).reused).toBe(false);
    const fr = JSON.parse(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')) as {
      meta: { signedAt: string };
    };
    expect(fr.meta.signedAt).toBe('2026-05-16T02:30:00Z');
  }, 180_000);

  it('accepts `nixfleet sign --key` (the real binary) as the sign hook', async () => {
    const dir = join(tmp, 'releases-bin');
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'nixfleet.mjs');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('fleet', { gen: 'g1' }),
        releaseDir: dir,
        signCmd: `node ${bin} sign --key ${ciKey}`,
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
    expect(
      verifyArtifact(read('fleet.resolved.json'), read('fleet.resolved.json.sig'), verifyOpts()).ok,
    ).toBe(true);
  }, 180_000);

  it('releases with an ecdsa-p256 CI key through `nixfleet sign`', async () => {
    const dir = join(tmp, 'releases-p256');
    const key = join(tmp, 'ci-p256.pem');
    const k = io();
    expect(keygenCommand(k, { out: key, algorithm: 'ecdsa-p256', force: false })).toBe(0);
    const pub = JSON.parse(k.out.join('')) as { algorithm: string; public: string };
    const tf = join(tmp, 'trust-p256.json');
    writeFileSync(
      tf,
      JSON.stringify({
        schemaVersion: 1,
        ciReleaseKey: {
          current: pub,
          previous: null,
          rejectBefore: null,
          successor: null,
          retireAt: null,
        },
        cacheKeys: [],
        orgRootKey: null,
      }),
    );
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'nixfleet.mjs');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('fleet', { gen: 'g1' }),
        releaseDir: dir,
        trustFile: tf,
        signatureAlgorithm: 'ecdsa-p256',
        signCmd: `node ${bin} sign --key ${key}`,
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const fr = JSON.parse(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')) as {
      meta: { signatureAlgorithm: string };
    };
    expect(fr.meta.signatureAlgorithm).toBe('ecdsa-p256');
    const v = runBinary([
      'verify',
      'artifact',
      '--artifact',
      join(dir, 'fleet.resolved.json'),
      '--signature',
      join(dir, 'fleet.resolved.json.sig'),
      '--trust-file',
      tf,
      '--freshness-window-secs',
      '86400',
      '--now',
      NOW,
    ]);
    expect(v.code, v.stderr).toBe(0);
  }, 180_000);

  it('commits the release with --git-commit', async () => {
    const repo = join(tmp, 'fleet-repo');
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'CI');
    writeFileSync(join(repo, 'README'), 'fleet\n');
    git('add', 'README');
    git('commit', '-qm', 'init');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('fleet', { gen: 'g1' }),
        releaseDir: join(repo, 'releases'),
        gitCommit: true,
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    expect(git('log', '--format=%s', '-1').trim()).toBe(
      `release: ${COMMIT.slice(0, 12)} [skip ci]`,
    );
    expect(git('status', '--porcelain').trim()).toBe('');
    expect(git('ls-files', 'releases').split('\n')).toContain('releases/fleet.resolved.json.sig');
  }, 180_000);

  describe('failures write nothing and keep the previous release', () => {
    const cases: [string, Partial<ReleaseFlags>, RegExp][] = [
      [
        'sign hook exits non-zero',
        { signCmd: 'echo "hsm unavailable" >&2; exit 3' },
        /RELEASE_ERR_SIGN_HOOK.*exit 3[\s\S]*hsm unavailable/,
      ],
      [
        'sign hook writes nothing',
        { signCmd: 'true' },
        /RELEASE_ERR_SIGN_HOOK.*wrote no signature/,
      ],
      [
        'sign hook writes zero bytes',
        { signCmd: ': > "$NIXFLEET_OUTPUT"' },
        /RELEASE_ERR_SIGN_HOOK.*empty signature/,
      ],
      [
        'sign hook signs different bytes',
        {
          signCmd: `printf 'other bytes' > "$NIXFLEET_INPUT.x"; openssl pkeyutl -sign -inkey ${ciKey} -rawin -in "$NIXFLEET_INPUT.x" -out "$NIXFLEET_OUTPUT"`,
        },
        /RELEASE_ERR_SMOKE_VERIFY.*fleet\.resolved\.json.*BadSignature|RELEASE_ERR_SMOKE_VERIFY/,
      ],
      [
        'push hook fails',
        { pushCmd: 'test "$NIXFLEET_HOST" != web-02' },
        /RELEASE_ERR_PUSH_HOOK.*host web-02/,
      ],
    ];
    for (const [name, over, message] of cases) {
      it(
        name,
        async () => {
          const c = io();
          const code = await releaseCommand(
            c,
            flags({ fleetFile: fleetFile('fleet2', { gen: 'g2' }), ...over }),
          );
          expect(code).toBe(1);
          expect(c.err.join('\n')).toMatch(message);
          expect(snapshot(releaseDir)).toEqual(first);
        },
        180_000,
      );
    }

    it('a host that fails to build aborts naming the host', async () => {
      const c = io();
      const code = await releaseCommand(
        c,
        flags({ fleetFile: fleetFile('broken', { gen: 'g3', broken: 'web-02' }) }),
      );
      expect(code).toBe(1);
      expect(c.err.join('\n')).toMatch(/RELEASE_ERR_BUILD: building host web-02 failed/);
      expect(c.err.join('\n')).toMatch(/compiling web-02: error: boom/);
      expect(snapshot(releaseDir)).toEqual(first);
    }, 180_000);

    it('an evaluation error carries Nix message and the fleet path', async () => {
      const f = fleetFile('evalerr', {
        gen: 'g4',
        extra: 'channelEdges = [ { before = "nope"; after = "stable"; } ];',
      });
      writeFileSync(
        f,
        readFileSync(f, 'utf8').replace('channel = "stable";', 'channel = "stabel";'),
      );
      const c = io();
      expect(await releaseCommand(c, flags({ fleetFile: f }))).toBe(1);
      const text = c.err.join('\n');
      expect(text).toMatch(/RELEASE_ERR_EVAL: evaluating .*evalerr\.nix failed/);
      expect(text).toMatch(/stabel/);
      expect(snapshot(releaseDir)).toEqual(first);
    }, 180_000);

    it('a host pinned to another commit needs --pin-source-url, listing the hosts', async () => {
      const c = io();
      expect(
        await releaseCommand(
          c,
          flags({ fleetFile: fleetFile('pinned', { gen: 'g5', pinDb: 'deadbeef' }) }),
        ),
      ).toBe(1);
      expect(c.err.join('\n')).toMatch(/RELEASE_ERR_PIN_SOURCE.*db-01 \(pin deadbeef\)/);
      expect(snapshot(releaseDir)).toEqual(first);
    }, 180_000);
  });

  describe('argument errors (exit 2)', () => {
    const cases: [string, Partial<ReleaseFlags>, RegExp][] = [
      ['no source', { fleetFile: undefined }, /exactly one of --fleet-file/],
      ['no sign command', { signCmd: undefined }, /--sign-cmd is required/],
      ['bad algorithm', { signatureAlgorithm: 'rsa' }, /--signature-algorithm/],
      ['bad host selection', { hosts: ',' }, /--hosts must be/],
      ['no key for the smoke verify', { trustFile: undefined }, /needs the CI public key/],
      ['non-hex commit', { ciCommit: 'main' }, /--ci-commit must be a hex commit id/],
      ['bad --now', { now: 'tomorrow' }, /--now must be/],
      ['unknown host in list', { hosts: 'web-01,ghost' }, /ghost/],
    ];
    for (const [name, over, message] of cases) {
      it(
        name,
        async () => {
          const c = io();
          const code = await releaseCommand(
            c,
            flags({ fleetFile: fleetFile('fleet', { gen: 'g1' }), ...over }),
          );
          expect(code).toBe(2);
          expect(c.err.join('\n')).toMatch(message);
        },
        60_000,
      );
    }
  });
});

describe('nixfleet sign as a sign hook', () => {
  it('writes a raw 64-byte signature that verifies, for ed25519 and P-256', () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256']) {
      const key = join(tmp, `k-${algorithm}.pem`);
      const k = io();
      expect(keygenCommand(k, { out: key, algorithm, force: false })).toBe(0);
      expect(keygenCommand(io(), { out: key, algorithm, force: false })).toBe(2); // never overwrites a key
      const pub = JSON.parse(k.out.join('')) as { algorithm: string; public: string };
      const input = join(tmp, `in-${algorithm}`);
      const output = join(tmp, `out-${algorithm}`);
      const doc = {
        schemaVersion: 1,
        revocations: [],
        meta: { schemaVersion: 1, signedAt: NOW, ciCommit: COMMIT, signatureAlgorithm: algorithm },
      };
      const canonical = canonicalBytes(doc);
      if (!canonical.ok) throw new Error(canonical.error.message);
      writeFileSync(input, canonical.value);
      expect(signCommand(io(), { key, input, output })).toBe(0);
      const sig = new Uint8Array(readFileSync(output));
      expect(sig.length).toBe(64);
      const t = parseTrustConfigBytes(
        new TextEncoder().encode(
          JSON.stringify({
            schemaVersion: 1,
            ciReleaseKey: {
              current: pub,
              previous: null,
              rejectBefore: null,
              successor: null,
              retireAt: null,
            },
            cacheKeys: [],
            orgRootKey: null,
          }),
        ),
      );
      if (!t.ok) throw new Error(t.error.message);
      expect(
        verifyRevocations(new Uint8Array(readFileSync(input)), sig, {
          trust: t.value,
          now: new Date(NOW),
          freshnessWindowSecs: 60,
        }).ok,
      ).toBe(true);
    }
  });

  it('fails clearly without input, with a bad key, or an unreadable file', () => {
    const c = io();
    expect(signCommand(c, { key: ciKey })).toBe(2);
    expect(c.err.join('')).toMatch(/NIXFLEET_INPUT/);
    const bad = join(tmp, 'bad.key');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(bad, 'not a key');
    writeFileSync(join(tmp, 'x'), 'x');
    expect(signCommand(io(), { key: bad, input: join(tmp, 'x'), output: join(tmp, 'y') })).toBe(2);
    expect(
      signCommand(io(), { key: ciKey, input: join(tmp, 'missing'), output: join(tmp, 'y') }),
    ).toBe(2);
  });
});

// openssl is the external signer in these tests; fail loudly if it is missing.
execFileSync('openssl', ['version']);
