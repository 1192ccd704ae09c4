import { describe, expect, it } from 'vitest';
import type { BootstrapToken } from '../contracts/index.ts';
import {
  FIXTURE_HOST,
  FIXTURE_NOW,
  fixtureBytes,
  fixtureJson,
  keys,
  trustWith,
} from '../../tests/fixtures/trust/helpers.ts';
import { encodeUtf8 } from './encoding.ts';
import { mintBootstrapToken } from './sign.ts';
import { parseTrustConfigBytes } from './trust-config.ts';
import { verifyBootstrapToken } from './verify-token.ts';

const trust = (() => {
  const r = parseTrustConfigBytes(fixtureBytes('trust.json'));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();
const now = new Date(FIXTURE_NOW);
const token = (): BootstrapToken => fixtureJson<BootstrapToken>('bootstrap-token.json');
const mint = (claims: Partial<BootstrapToken['claims']>, key = keys.orgRoot): BootstrapToken => {
  const r = mintBootstrapToken({ ...token().claims, ...claims }, key);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('verifyBootstrapToken', () => {
  it('verifies the fixture token from bytes and from a parsed value', () => {
    expect(
      verifyBootstrapToken(fixtureBytes('bootstrap-token.json'), { trust, now }),
    ).toMatchObject({
      ok: true,
      value: {
        token: { claims: { hostname: FIXTURE_HOST } },
        signer: { role: 'current', fingerprint: keys.orgRoot.publicKey.fingerprint },
      },
    });
    expect(
      verifyBootstrapToken(token(), {
        trust,
        now,
        expectedHostname: FIXTURE_HOST,
        expectedPubkeyFingerprint: keys.host.publicKey.fingerprint,
      }).ok,
    ).toBe(true);
  });

  it('refuses edited claims and a token signed by another key', () => {
    const edited = { ...token(), claims: { ...token().claims, hostname: 'host-00043' } };
    expect(verifyBootstrapToken(edited, { trust, now })).toMatchObject({
      ok: false,
      error: { kind: 'BadSignature' },
    });
    expect(verifyBootstrapToken(mint({}, keys.ci), { trust, now })).toMatchObject({
      ok: false,
      error: { kind: 'BadSignature' },
    });
  });

  it('refuses expired and future-issued tokens; slack only excuses the future', () => {
    expect(
      verifyBootstrapToken(token(), { trust, now: new Date('2026-01-22T00:00:00Z') }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'Expired', code: 'TRUST_ERR_EXPIRED' },
    });
    const future = mint({ issuedAt: '2026-01-15T13:01:01Z' });
    expect(verifyBootstrapToken(future, { trust, now })).toMatchObject({
      ok: false,
      error: { kind: 'FutureDated', aheadSecs: 61 },
    });
    expect(
      verifyBootstrapToken(mint({ issuedAt: '2026-01-15T13:01:00Z' }), { trust, now }).ok,
    ).toBe(true);
  });

  it('applies the org root rejectBefore and rotation rules', () => {
    const cut = trustWith(
      { current: keys.ci },
      { current: keys.orgRoot, rejectBefore: '2026-01-15T10:00:00Z' },
    );
    expect(verifyBootstrapToken(token(), { trust: cut, now })).toMatchObject({
      ok: false,
      error: { kind: 'RejectedBeforeCutoff' },
    });
    const rotated = trustWith(
      { current: keys.ci },
      { current: keys.ciNext, previous: keys.orgRoot, retireAt: '2026-01-16T00:00:00Z' },
    );
    expect(verifyBootstrapToken(token(), { trust: rotated, now })).toMatchObject({
      ok: true,
      value: { signer: { role: 'previous' } },
    });
    expect(
      verifyBootstrapToken(token(), { trust: rotated, now: new Date('2026-01-16T00:00:00Z') }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'BadSignature' },
    });
  });

  it('needs an ed25519 org root', () => {
    expect(
      verifyBootstrapToken(token(), { trust: trustWith({ current: keys.ci }, null), now }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'NoTrustedKey', slot: 'orgRootKey' },
    });
    expect(
      verifyBootstrapToken(token(), {
        trust: trustWith({ current: keys.ci }, { current: keys.ciP256 }),
        now,
      }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'AlgorithmMismatch' },
    });
    expect(mintBootstrapToken(token().claims, keys.ciP256).ok).toBe(false);
  });

  it('refuses other versions, malformed tokens and schema violations', () => {
    expect(verifyBootstrapToken({ ...token(), version: 2 }, { trust, now })).toMatchObject({
      ok: false,
      error: { kind: 'UnsupportedSchemaVersion', found: 2 },
    });
    for (const bad of [
      encodeUtf8('nope'),
      null,
      { version: 1 },
      { ...token(), signature: 'not base64!' },
    ]) {
      expect(verifyBootstrapToken(bad, { trust, now })).toMatchObject({
        ok: false,
        error: { kind: 'Malformed' },
      });
    }
    const shortNonce = mint({ nonce: 'abc' });
    expect(verifyBootstrapToken(shortNonce, { trust, now })).toMatchObject({
      ok: false,
      error: { kind: 'SchemaInvalid' },
    });
  });

  it('binds the token to the enrolling host and key', () => {
    expect(
      verifyBootstrapToken(token(), { trust, now, expectedHostname: 'host-00043' }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'ClaimMismatch', claim: 'hostname' },
    });
    expect(
      verifyBootstrapToken(token(), {
        trust,
        now,
        expectedPubkeyFingerprint: keys.ci.publicKey.fingerprint,
      }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'ClaimMismatch', claim: 'expectedPubkeyFingerprint' },
    });
  });
});
