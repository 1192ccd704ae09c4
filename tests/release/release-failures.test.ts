// `nixfleet release` when something goes wrong: a failing hook, a broken
// build, a missing pin source write nothing and keep the previous release
// byte for byte; argument errors are exit 2 with a message naming the flag.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseCommand, type ReleaseFlags } from '../../ts/cli/commands/release.ts';
import { ciKey, fleetFile, flags, io, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();
const releaseDir = join(tmp, 'releases');
let first: Record<string, string>;

beforeAll(async () => {
  // The previous release every failure must leave untouched.
  const c = io();
  const code = await releaseCommand(c, flags({ fleetFile: fleetFile('fleet', { gen: 'g1' }) }));
  expect(code, c.err.join('\n')).toBe(0);
  first = snapshot(releaseDir);
}, 180_000);

describe('failures write nothing and keep the previous release', () => {
  const cases: [string, Partial<ReleaseFlags>, RegExp][] = [
    [
      'sign hook exits non-zero',
      { signCmd: 'echo "hsm unavailable" >&2; exit 3' },
      /RELEASE_ERR_SIGN_HOOK.*exit 3[\s\S]*hsm unavailable/,
    ],
    ['sign hook writes nothing', { signCmd: 'true' }, /RELEASE_ERR_SIGN_HOOK.*wrote no signature/],
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
    writeFileSync(f, readFileSync(f, 'utf8').replace('channel = "stable";', 'channel = "stabel";'));
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
    ['zero --jobs', { jobs: '0' }, /--jobs must be a whole number of at least 1/],
    ['non-numeric --jobs', { jobs: 'many' }, /--jobs must be/],
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
