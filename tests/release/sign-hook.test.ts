// `nixfleet sign` as the release's sign hook: raw 64-byte signatures that
// the trust core verifies, and clear failures.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keygenCommand, signCommand } from '../../ts/cli/commands/keys.ts';
import { canonicalBytes, parseTrustConfigBytes, verifyRevocations } from '../../ts/trust/index.ts';
import { ciKey, COMMIT, io, NOW, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

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
