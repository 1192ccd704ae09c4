// `nixfleet host revoke` and `mint-token --nonces-file`: the fleet's own
// JSON lists (revocations, bootstrap nonces) edited by the real CLI, read back
// by Nix the way fleet.nix reads them, and malformed input refused with typed
// errors before anything is written.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOp } from './support/run.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'trust');
const NOW = new Date('2026-01-15T13:00:00Z');
const fresh = (): string => mkdtempSync(join(tmpdir(), 'nixfleet-host-'));
const read = (f: string): unknown => JSON.parse(readFileSync(f, 'utf8'));

describe('nixfleet host revoke', () => {
  it('prints the fleet.nix entry without --file', async () => {
    const r = await runOp(['host', 'revoke', 'web-03', '--reason', 'disk replaced'], {
      now: NOW,
      env: { USER: 'alice' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '{\n  hostname = "web-03";\n  notBefore = "2026-01-15T13:00:00Z";\n  reason = "disk replaced";\n  revokedBy = "alice";\n}\n',
    );
  });

  it('writes a relative --file that mkFleet accepts as revocations, one entry per host, sorted', async () => {
    const dir = fresh();
    const at = (iso: string) => ({ now: new Date(iso), cwd: dir, env: { USER: 'bob' } });
    expect(
      (await runOp(['host', 'revoke', 'web-03', '--file', 'rev.json'], at('2026-01-15T13:00:00Z')))
        .code,
    ).toBe(0);
    expect(
      (await runOp(['host', 'revoke', 'web-01', '--file', 'rev.json'], at('2026-01-15T14:00:00Z')))
        .code,
    ).toBe(0);
    // Revoking again moves the host's notBefore forward (its newer certificates too).
    const again = await runOp(
      [
        'host',
        'revoke',
        'web-03',
        '--file',
        'rev.json',
        '--reason',
        'again',
        '--revoked-by',
        'carol',
      ],
      at('2026-01-15T15:00:00Z'),
    );
    expect(again.code).toBe(0);
    expect(read(join(dir, 'rev.json'))).toEqual([
      { hostname: 'web-01', notBefore: '2026-01-15T14:00:00Z', reason: null, revokedBy: 'bob' },
      {
        hostname: 'web-03',
        notBefore: '2026-01-15T15:00:00Z',
        reason: 'again',
        revokedBy: 'carol',
      },
    ]);
    // What fleet.nix does with it: mkFleet validates and signs it as the sidecar.
    const lib = join(import.meta.dirname, '..', '..', 'lib');
    const out = execFileSync(
      'nix-instantiate',
      [
        '--eval',
        '--strict',
        '--json',
        '-E',
        `((import ${lib}).mkFleet { hosts = {}; revocations = builtins.fromJSON (builtins.readFile ${join(dir, 'rev.json')}); }).revocations.revocations`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NIX_CONFIG: 'experimental-features = nix-command' },
      },
    );
    expect((JSON.parse(out) as { hostname: string }[]).map((e) => e.hostname)).toEqual([
      'web-01',
      'web-03',
    ]);
  });

  it.each([
    [['host', 'revoke', 'Web_03!'], /not a host name/],
    [['host', 'revoke', 'web-03', '--not-before', 'yesterday'], /--not-before.*RFC 3339/],
    [['host', 'revoke', 'web-03', '--not-before', '2026-02-30T00:00:00Z'], /--not-before/],
    [['host', 'revoke', 'web-03', '--not-before', '2026-01-15T13:00:00+01:00'], /--not-before/],
    [['host', 'revoke', 'web-03', '--reason', '  '], /--reason is empty/],
  ])('refuses %j with CLI_ERR_USAGE (exit 2)', async (args, re) => {
    const r = await runOp(args, { now: NOW });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/CLI_ERR_USAGE/);
    expect(r.stderr).toMatch(re);
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['not a list', '{"hostname":"web-01"}', /not a JSON list of objects/],
    ['a list of strings', '["web-01"]', /not a JSON list of objects/],
  ])('refuses a --file that is %s, leaving it untouched', async (_what, text, re) => {
    const dir = fresh();
    writeFileSync(join(dir, 'rev.json'), text);
    const r = await runOp(['host', 'revoke', 'web-03', '--file', 'rev.json'], {
      now: NOW,
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CLI_ERR_USAGE/);
    expect(r.stderr).toMatch(re);
    expect(readFileSync(join(dir, 'rev.json'), 'utf8')).toBe(text);
  });

  it('refuses to move a notBefore back (it would lift the revocation in between)', async () => {
    const dir = fresh();
    const rev = ['host', 'revoke', 'web-03', '--file', 'rev.json'];
    expect((await runOp(rev, { now: NOW, cwd: dir })).code).toBe(0);
    const before = readFileSync(join(dir, 'rev.json'), 'utf8');
    const r = await runOp([...rev, '--not-before', '2026-01-01T00:00:00Z'], { now: NOW, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CLI_ERR_USAGE.*lift/);
    expect(readFileSync(join(dir, 'rev.json'), 'utf8')).toBe(before);
  });
});

describe('nixfleet mint-token --nonces-file', () => {
  const mint = (dir: string, extra: readonly string[] = []) =>
    runOp(
      [
        'mint-token',
        '--hostname',
        'host-00042',
        '--pubkey-file',
        join(FIX, 'keys', 'host-00042_ed25519_key.pub'),
        '--org-root-key',
        join(FIX, 'keys', 'org-root.pem'),
        '--minted-by',
        'alice',
        '--nonces-file',
        'nonces.json',
        ...extra,
      ],
      { now: NOW, cwd: dir },
    );

  it('appends the bootstrapNonces entry of each token to the list (created if missing)', async () => {
    const dir = fresh();
    const a = await mint(dir);
    const b = await mint(dir);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const nonces = [a, b].map(
      (r) => (JSON.parse(r.stdout) as { claims: { nonce: string } }).claims.nonce,
    );
    expect(read(join(dir, 'nonces.json'))).toEqual(
      nonces.map((nonce) => ({
        nonce,
        hostname: 'host-00042',
        expiresAt: '2026-01-16T13:00:00Z',
        mintedAt: '2026-01-15T13:00:00Z',
        mintedBy: 'alice',
      })),
    );
  });

  it('refuses a malformed list before minting: nothing on stdout, file untouched', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'nonces.json'), '[1, 2]');
    const r = await mint(dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/CLI_ERR_USAGE: --nonces-file .*not a JSON list of objects/);
    expect(readFileSync(join(dir, 'nonces.json'), 'utf8')).toBe('[1, 2]');
  });
});
