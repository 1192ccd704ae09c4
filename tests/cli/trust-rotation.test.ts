// The org root key rotation through trust.json's slots, with the real CLI:
// `nixfleet trust stage|promote|retire org-root` edit the file, and
// `mint-token --trust` (which runs the CP's own token verifier on what it
// minted) shows which key is accepted at each step. Malformed input is a
// typed CLI_ERR_USAGE / CLI_ERR_KEY with trust.json left as it was.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOp } from './support/run.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'trust');
const OLD = join(FIX, 'keys', 'org-root.pem');
const T0 = Date.parse('2026-01-15T13:00:00Z');
const at = (ms: number): Date => new Date(T0 + ms);
const H = 3_600_000;

function fleetDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-trust-'));
  copyFileSync(join(FIX, 'trust.json'), join(dir, 'trust.json'));
  return dir;
}

const run = (dir: string, args: readonly string[], ms: number) =>
  runOp(args, { cwd: dir, now: at(ms), env: { USER: 'alice' } });

/** Mints a token for host-00042 with `key`, checked against the fleet's trust.json. */
const mint = (dir: string, key: string, ms: number) =>
  run(
    dir,
    [
      'mint-token',
      '--hostname',
      'host-00042',
      '--pubkey-file',
      join(FIX, 'keys', 'host-00042_ed25519_key.pub'),
      '--org-root-key',
      key,
      '--trust',
      'trust.json',
    ],
    ms,
  );

const slot = (dir: string) =>
  (
    JSON.parse(readFileSync(join(dir, 'trust.json'), 'utf8')) as {
      orgRootKey: Record<string, unknown>;
    }
  ).orgRootKey;

describe('org root key rotation (nixfleet trust)', () => {
  it('stage → both keys verify; promote → the old one until retireAt; retire → only the new one', async () => {
    const dir = fleetDir();
    expect((await run(dir, ['keygen', '--out', join(dir, 'org-root-2.key')], 0)).code).toBe(0);
    const NEW = join(dir, 'org-root-2.key');
    // Before: the new key is not trusted.
    expect((await mint(dir, NEW, 0)).stderr).toMatch(/CLI_ERR_KEY_UNTRUSTED/);

    expect(
      (await run(dir, ['trust', 'stage', 'org-root', '--key', 'org-root-2.key'], 0)).code,
    ).toBe(0);
    expect(slot(dir)['successor']).not.toBeNull();
    expect((await mint(dir, NEW, 1000)).code).toBe(0);
    expect((await mint(dir, OLD, 1000)).code).toBe(0);

    const promote = await run(dir, ['trust', 'promote', 'org-root', '--grace', '2h'], H);
    expect(promote.code).toBe(0);
    expect(slot(dir)).toMatchObject({ successor: null, retireAt: '2026-01-15T16:00:00Z' });
    expect((await mint(dir, NEW, H + 1000)).code).toBe(0);
    expect((await mint(dir, OLD, 2 * H)).code).toBe(0); // within the overlap

    // Retiring before retireAt would cut the overlap short.
    const early = await run(dir, ['trust', 'retire', 'org-root'], 2 * H);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/CLI_ERR_USAGE.*until 2026-01-15T16:00:00Z/);

    // After retireAt the old key no longer verifies, retired or not.
    expect((await mint(dir, OLD, 3 * H + 1000)).stderr).toMatch(/CLI_ERR_KEY_UNTRUSTED/);
    expect((await run(dir, ['trust', 'retire', 'org-root'], 3 * H + 1000)).code).toBe(0);
    expect(slot(dir)).toMatchObject({ previous: null, retireAt: null, successor: null });
    expect((await mint(dir, NEW, 4 * H)).code).toBe(0);
    expect((await mint(dir, OLD, 4 * H)).stderr).toMatch(/CLI_ERR_KEY_UNTRUSTED/);
  });

  it.each([
    [['trust', 'stage', 'root', '--key', 'k'], 'CLI_ERR_USAGE', /not a key slot/],
    [['trust', 'promote', 'org-root'], 'CLI_ERR_USAGE', /no successor/],
    [['trust', 'retire', 'org-root'], 'CLI_ERR_USAGE', /no previous key/],
    [['trust', 'promote', 'org-root', '--grace', 'soon'], 'CLI_ERR_USAGE', /--grace/],
    [['trust', 'stage', 'org-root', '--key', 'missing.key'], 'CLI_ERR_KEY', /missing\.key/],
    [['trust', 'stage', 'org-root', '--key', OLD], 'CLI_ERR_USAGE', /already orgRootKey\.current/],
    [
      ['trust', 'stage', 'org-root', '--key', join(FIX, 'keys', 'ci-p256.pem')],
      'CLI_ERR_KEY',
      /ed25519/,
    ],
    [['trust', 'stage', 'org-root', '--key', 'trust.json'], 'CLI_ERR_KEY', /--key/],
    [
      ['trust', 'stage', 'org-root', '--key', OLD, '--trust', 'nope.json'],
      'CLI_ERR_CONFIG_IO',
      /nope\.json/,
    ],
  ])('refuses %j with %s, trust.json untouched', async (args, code, re) => {
    const dir = fleetDir();
    const before = readFileSync(join(dir, 'trust.json'), 'utf8');
    const r = await run(dir, args, 0);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(code);
    expect(r.stderr).toMatch(re);
    expect(readFileSync(join(dir, 'trust.json'), 'utf8')).toBe(before);
  });

  it('refuses a second successor, and a promote that would drop a previous key still trusted', async () => {
    const dir = fleetDir();
    for (const n of ['a', 'b', 'c'])
      expect((await run(dir, ['keygen', '--out', join(dir, `${n}.key`)], 0)).code).toBe(0);
    expect((await run(dir, ['trust', 'stage', 'org-root', '--key', 'a.key'], 0)).code).toBe(0);
    const second = await run(dir, ['trust', 'stage', 'org-root', '--key', 'b.key'], 0);
    expect(second.stderr).toMatch(/CLI_ERR_USAGE.*already announces another key/);
    expect((await run(dir, ['trust', 'promote', 'org-root', '--grace', '1d'], 0)).code).toBe(0);
    expect((await run(dir, ['trust', 'stage', 'org-root', '--key', 'b.key'], 0)).code).toBe(0);
    const drop = await run(dir, ['trust', 'promote', 'org-root'], H);
    expect(drop.code).toBe(2);
    expect(drop.stderr).toMatch(/CLI_ERR_USAGE.*previous is still active until/);
  });
});
