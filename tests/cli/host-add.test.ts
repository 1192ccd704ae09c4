// `nixfleet host add`: the real CLI writes the host's entry (read back by Nix
// the way fleet.nix reads hosts.json, through mkFleet), a real ssh-keygen
// host key, a token the CP's verifier accepts for exactly that key, and its
// nonce; every bad input is refused with a typed error before anything is
// written.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BootstrapToken } from '../../ts/contracts/index.ts';
import {
  fingerprintRaw,
  parseTrustConfigBytes,
  publicKeyFromOpenSsh,
  verifyBootstrapToken,
} from '../../ts/trust/index.ts';
import { runOp } from './support/run.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'trust');
const LIB = join(import.meta.dirname, '..', '..', 'lib');
const ORG_ROOT = join(FIX, 'keys', 'org-root.pem');
const TRUST = join(FIX, 'trust.json');
const HOST_PUB = join(FIX, 'keys', 'host-00042_ed25519_key.pub');
// 50 hosts host-00000…host-00049, channels edge and stable.
const FLEET = join(FIX, 'fleet.resolved.json');
const NOW = new Date('2026-01-15T13:00:00Z');
const fresh = (): string => mkdtempSync(join(tmpdir(), 'nixfleet-hostadd-'));
const read = (f: string): unknown => JSON.parse(readFileSync(f, 'utf8'));
const trust = parseTrustConfigBytes(new Uint8Array(readFileSync(TRUST)));
if (!trust.ok) throw new Error('fixture trust.json');

const COMMON = ['--fleet-resolved', FLEET, '--trust', TRUST, '--org-root-key', ORG_ROOT];
const add = (dir: string, args: readonly string[]): ReturnType<typeof runOp> =>
  runOp(['host', 'add', ...args], { now: NOW, cwd: dir, env: { USER: 'alice' } });

function fingerprintOf(line: string): string {
  const k = publicKeyFromOpenSsh(line.trim());
  if (!k.ok) throw new Error(k.error.message);
  return fingerprintRaw(k.value.raw);
}

describe('nixfleet host add', () => {
  it('writes the hosts.json entry mkFleet takes, a host key, a token for that key, and its nonce', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'nonces.json'), '[]\n');
    const r = await add(dir, [
      'agent-17',
      '--tags',
      'agent,canary',
      '--channel',
      'edge',
      ...COMMON,
      '--write',
      'hosts.json',
      '--nonces-file',
      'nonces.json',
    ]);
    expect(r.stderr).toContain('entry added to');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const out = join(dir, 'hosts', 'agent-17');
    expect(statSync(join(out, 'ssh_host_ed25519_key')).mode & 0o077).toBe(0);
    expect(statSync(join(out, 'token.json')).mode & 0o077).toBe(0);
    const pub = readFileSync(join(out, 'ssh_host_ed25519_key.pub'), 'utf8');
    // The key is ssh-keygen's: OpenSSH reads it back and derives the same public key.
    expect(
      execFileSync('ssh-keygen', ['-y', '-f', join(out, 'ssh_host_ed25519_key')], {
        encoding: 'utf8',
      }).split(' ')[1],
    ).toBe(pub.split(' ')[1]);
    const token = read(join(out, 'token.json')) as BootstrapToken;
    const v = verifyBootstrapToken(token, {
      trust: trust.value,
      now: NOW,
      expectedHostname: 'agent-17',
      expectedPubkeyFingerprint: fingerprintOf(pub),
    });
    expect(v.ok).toBe(true);
    expect(read(join(dir, 'nonces.json'))).toEqual([
      {
        nonce: token.claims.nonce,
        hostname: 'agent-17',
        expiresAt: '2026-01-16T13:00:00Z',
        mintedAt: '2026-01-15T13:00:00Z',
        mintedBy: 'alice',
      },
    ]);
    const entry = { hostname: 'agent-17', channel: 'edge', tags: ['agent', 'canary'] };
    expect(read(join(dir, 'hosts.json'))).toEqual([
      { ...entry, pubkey: pub.trim().split(' ').slice(0, 2).join(' ') },
    ]);
    // The way fleet.nix reads it (docs/operators.md "Adding a host").
    const nix = execFileSync(
      'nix-instantiate',
      [
        '--eval',
        '--strict',
        '--json',
        '-E',
        `let hs = builtins.fromJSON (builtins.readFile ${join(dir, 'hosts.json')}); in
         ((import ${LIB}).mkFleet {
           hosts = builtins.listToAttrs (map (h: { name = h.hostname; value = {
             system = "x86_64-linux"; configuration.config.system.build.toplevel = derivation { name = "t"; system = "x86_64-linux"; builder = "/bin/sh"; }; inherit (h) channel tags pubkey; }; }) hs);
           channels.edge = { rolloutPolicy = "p"; freshnessWindow = 1440; };
           rolloutPolicies.p = { strategy = "all-at-once"; waves = [ { selector.all = true; } ]; };
         }).resolved.hosts.agent-17`,
      ],
      { encoding: 'utf8', env: { ...process.env, NIX_PATH: '' } },
    );
    expect(JSON.parse(nix)).toMatchObject({
      channel: 'edge',
      tags: ['agent', 'canary'],
      pubkey: pub.trim().split(' ').slice(0, 2).join(' '),
    });
    // A second host goes after the first; the same name is refused.
    expect(
      (await add(dir, ['agent-18', ...COMMON, '--channel', 'edge', '--write', 'hosts.json'])).code,
    ).toBe(0);
    expect(
      (read(join(dir, 'hosts.json')) as { hostname: string }[]).map((h) => h.hostname),
    ).toEqual(['agent-17', 'agent-18']);
  });

  it('prints the entry without --write; --pubkey-file binds the token to the key the host has', async () => {
    const dir = fresh();
    const r = await add(dir, [
      'agent-19',
      ...COMMON,
      '--channel',
      'stable',
      '--pubkey-file',
      HOST_PUB,
    ]);
    expect(r.code).toBe(0);
    const pub = readFileSync(HOST_PUB, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    expect(r.stdout).toBe(
      `agent-19 = {\n  channel = "stable";\n  tags = [ ];\n  pubkey = ${JSON.stringify(pub)};\n};\n`,
    );
    expect(existsSync(join(dir, 'hosts', 'agent-19', 'ssh_host_ed25519_key'))).toBe(false);
    const token = read(join(dir, 'hosts', 'agent-19', 'token.json')) as BootstrapToken;
    expect(token.claims.expectedPubkeyFingerprint).toBe(fingerprintOf(pub));
    expect(r.stderr).toContain('Add to fleet.nix `bootstrapNonces`');
  });

  it('refuses bad input with a typed error and a next step, writing nothing', async () => {
    const dir = fresh();
    writeFileSync(
      join(dir, 'hosts.json'),
      '[{"hostname":"agent-20","channel":"edge","tags":[],"pubkey":"x"}]\n',
    );
    writeFileSync(join(dir, 'nonces.json'), '[]\n');
    writeFileSync(join(dir, 'a-file'), '');
    const W = ['--write', 'hosts.json', '--nonces-file', 'nonces.json'];
    const cases: [string[], string, string][] = [
      [['Agent-1', ...COMMON], 'CLI_ERR_USAGE', 'is not a host name'],
      [['_x', ...COMMON], 'CLI_ERR_USAGE', 'is not a host name'],
      [['a'.repeat(64), ...COMMON], 'CLI_ERR_USAGE', 'at most 63'],
      [['agent 1', ...COMMON], 'CLI_ERR_USAGE', 'is not a host name'],
      [['agent-1', '--tags', 'x'.repeat(64), ...COMMON], 'CLI_ERR_USAGE', 'is not a tag name'],
      [
        ['agent-1', '--tags', Array.from({ length: 33 }, (_, i) => `t${i}`).join(','), ...COMMON],
        'CLI_ERR_USAGE',
        'at most 32',
      ],
      [['agent-1', '--tags', 'a,,b', ...COMMON], 'CLI_ERR_USAGE', 'is not a tag name'],
      [['agent-1', '--tags', 'a,a', ...COMMON], 'CLI_ERR_USAGE', 'twice'],
      [
        ['host-00007', ...COMMON, '--channel', 'edge'],
        'CLI_ERR_HOST_EXISTS',
        'already a host of the fleet',
      ],
      [['agent-20', ...COMMON, '--channel', 'edge'], 'CLI_ERR_HOST_EXISTS', 'not yet released'],
      [
        ['agent-1', ...COMMON, '--channel', 'beta'],
        'CLI_ERR_CHANNEL_UNKNOWN',
        'one of: edge, stable',
      ],
      [['agent-1', ...COMMON], 'CLI_ERR_USAGE', 'pass --channel'],
      [
        ['agent-1', '--trust', TRUST, '--org-root-key', ORG_ROOT],
        'CLI_ERR_USAGE',
        '--fleet-resolved',
      ],
      [
        ['agent-1', '--fleet-resolved', 'nope.json', '--trust', TRUST, '--org-root-key', ORG_ROOT],
        'CLI_ERR_CONFIG_IO',
        'latest release',
      ],
      [
        ['agent-1', '--fleet-resolved', TRUST, '--trust', TRUST, '--org-root-key', ORG_ROOT],
        'CLI_ERR_USAGE',
        'not a fleet.resolved',
      ],
      [
        ['agent-1', '--fleet-resolved', FLEET, '--org-root-key', ORG_ROOT, '--channel', 'edge'],
        'CLI_ERR_USAGE',
        "fleet's trust.json",
      ],
      [
        [
          'agent-1',
          '--fleet-resolved',
          FLEET,
          '--trust',
          'no-trust.json',
          '--org-root-key',
          ORG_ROOT,
          '--channel',
          'edge',
        ],
        'CLI_ERR_KEY',
        'no-trust.json',
      ],
      [
        [
          'agent-1',
          '--fleet-resolved',
          FLEET,
          '--trust',
          TRUST,
          '--org-root-key',
          'no.key',
          '--channel',
          'edge',
        ],
        'CLI_ERR_KEY',
        'no.key',
      ],
      [
        [
          'agent-1',
          '--fleet-resolved',
          FLEET,
          '--trust',
          TRUST,
          '--org-root-key',
          HOST_PUB,
          '--channel',
          'edge',
        ],
        'CLI_ERR_KEY',
        '',
      ],
      [
        ['agent-1', ...COMMON, '--channel', 'edge', '--out', join(dir, 'a-file', 'sub')],
        'CLI_ERR_CONFIG_IO',
        'choose a directory you can write',
      ],
      [
        ['agent-1', ...COMMON, '--channel', 'edge', '--pubkey-file', 'none.pub'],
        'CLI_ERR_KEY',
        'none.pub',
      ],
    ];
    for (const [args, code, text] of cases) {
      const r = await add(dir, [...args, ...W]);
      expect({ args, code: r.code, err: r.stderr }).toMatchObject({
        code: 2,
        err: expect.stringContaining(`nixfleet host add: ${code}: `),
      });
      expect(r.stderr).toContain(text);
      expect(r.stderr).toContain('hint: ');
    }
    expect(read(join(dir, 'nonces.json'))).toEqual([]);
    expect((read(join(dir, 'hosts.json')) as unknown[]).length).toBe(1);
    expect(existsSync(join(dir, 'hosts'))).toBe(false);
  });

  it('refuses to overwrite a provisioned host directory (CLI_ERR_EXISTS)', async () => {
    const dir = fresh();
    expect((await add(dir, ['agent-21', ...COMMON, '--channel', 'edge'])).code).toBe(0);
    const before = readFileSync(join(dir, 'hosts', 'agent-21', 'token.json'), 'utf8');
    const r = await add(dir, ['agent-21', ...COMMON, '--channel', 'edge']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_ERR_EXISTS');
    expect(readFileSync(join(dir, 'hosts', 'agent-21', 'token.json'), 'utf8')).toBe(before);
  });
});
