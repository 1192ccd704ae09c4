// The re-issue rule for a bootstrap token presented again: only the key that
// first used it, only before its host was heard from with a certificate,
// never after a revocation, at most MAX_TOKEN_REISSUES times.
import { describe, expect, it } from 'vitest';
import type { TokenUseRow } from '../storage/types.ts';
import { MAX_TOKEN_REISSUES, decideTokenUse } from './enroll-tokens.ts';

const row: TokenUseRow = {
  nonce: 'n1',
  hostname: 'web-01',
  usedAt: 1_000,
  expiresAt: 90_000,
  fingerprint: 'fp-a',
  issued: 1,
};
const ask = { hostname: 'web-01', fingerprint: 'fp-a', lastSeenAt: null, revokedNotBefore: null };

describe('decideTokenUse', () => {
  it('first use, then re-issues for the same key, counted, up to the limit', () => {
    expect(decideTokenUse(undefined, ask)).toEqual({ kind: 'first' });
    expect(decideTokenUse(row, ask)).toEqual({ kind: 'reissue', issue: 2, firstUsedAt: 1_000 });
    const last = { ...row, issued: MAX_TOKEN_REISSUES };
    expect(decideTokenUse(last, ask)).toMatchObject({
      kind: 'reissue',
      issue: MAX_TOKEN_REISSUES + 1,
    });
    expect(decideTokenUse({ ...row, issued: MAX_TOKEN_REISSUES + 1 }, ask)).toMatchObject({
      kind: 'replay',
      reason: 'reissue-limit',
    });
  });

  it('refuses another key or host, and rows that do not name a key', () => {
    expect(decideTokenUse(row, { ...ask, fingerprint: 'fp-b' })).toMatchObject({
      reason: 'different-key',
    });
    expect(decideTokenUse(row, { ...ask, hostname: 'web-02' })).toMatchObject({
      reason: 'different-key',
    });
    expect(decideTokenUse({ ...row, fingerprint: null }, ask)).toMatchObject({ reason: 'unbound' });
  });

  it('refuses once the host heartbeated after the first use (its response arrived)', () => {
    expect(decideTokenUse(row, { ...ask, lastSeenAt: 999 })).toMatchObject({ kind: 'reissue' });
    expect(decideTokenUse(row, { ...ask, lastSeenAt: 1_000 })).toMatchObject({
      reason: 'certificate-in-use',
    });
  });

  it('refuses after a revocation newer than the first use', () => {
    expect(decideTokenUse(row, { ...ask, revokedNotBefore: 500 })).toMatchObject({
      kind: 'reissue',
    });
    expect(decideTokenUse(row, { ...ask, revokedNotBefore: 1_001 })).toMatchObject({
      reason: 'revoked-since-use',
    });
  });
});
