// End to end, for real: a fleet whose toplevels are tiny builtins.derivation
// closures, real nix-build, a push hook copying into a real signed file binary
// cache, an external signer (openssl) as the sign hook, then the trust core
// accepts every artifact; a flipped byte is refused; a second run with no
// change is byte-identical. Failures: release-failures.test.ts; the sign
// hook itself: sign-hook.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keygenCommand } from '../../ts/cli/commands/keys.ts';
import { releaseCommand } from '../../ts/cli/commands/release.ts';
import { runBinary, runInProcess } from '../cli/support/cli-kit.ts';
import {
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
} from '../../ts/trust/index.ts';
import {
  cacheDir,
  ciKey,
  COMMIT,
  fleetFile,
  flags,
  io,
  NOW,
  snapshot,
  tmp,
  trustFile,
  useReleaseWorld,
  verifyOpts,
} from './support/world.ts';

useReleaseWorld();

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
    // The evidence knobs reach the signed manifest; unset ones as their
    // fail-closed defaults.
    expect(m.value.value.waves).toEqual([
      {
        soakMinutes: 5,
        minSoaked: 1,
        waitForNeverSeenMinutes: 60,
        allowNoEnforceProbes: false,
        approval: 'auto',
      },
      {
        soakMinutes: 0,
        minSoaked: 1,
        waitForNeverSeenMinutes: null,
        allowNoEnforceProbes: false,
        approval: 'auto',
      },
    ]);
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
});
