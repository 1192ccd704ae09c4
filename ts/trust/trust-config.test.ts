import { describe, expect, it } from 'vitest';
import {
  fixtureBytes,
  fixtureJson,
  keys,
  slotJson,
  trustWith,
} from '../../tests/fixtures/trust/helpers.ts';
import { encodeUtf8 } from './encoding.ts';
import {
  activeKeysAt,
  parseTrustConfig,
  parseTrustConfigBytes,
  rotationDue,
} from './trust-config.ts';

const roles = (t: ReturnType<typeof trustWith>, when: string) =>
  activeKeysAt(t.ciReleaseKey, new Date(when)).map((k) => k.role);

describe('parseTrustConfig', () => {
  it('decodes the fixture trust files', () => {
    const r = parseTrustConfigBytes(fixtureBytes('trust-rotation.json'));
    expect(r).toMatchObject({
      ok: true,
      value: { schemaVersion: 1, ciReleaseKey: { name: 'ciReleaseKey' } },
    });
    if (!r.ok) return;
    expect(r.value.ciReleaseKey.current?.base64).toBe(keys.ciNext.publicKey.base64);
    expect(r.value.ciReleaseKey.previous?.base64).toBe(keys.ci.publicKey.base64);
    expect(r.value.ciReleaseKey.retireAt).toEqual({
      at: Date.parse('2026-02-14T00:00:00Z'),
      text: '2026-02-14T00:00:00Z',
    });
    expect(Object.isFrozen(r.value)).toBe(true);
    expect(parseTrustConfigBytes(fixtureBytes('trust-p256.json'))).toMatchObject({
      ok: true,
      value: { orgRootKey: null },
    });
  });

  it('refuses an unknown schemaVersion with its own code', () => {
    const t = fixtureJson('trust.json');
    for (const v of [2, '1', undefined]) {
      expect(parseTrustConfig({ ...t, schemaVersion: v })).toMatchObject({
        ok: false,
        error: { code: 'TRUST_ERR_UNSUPPORTED_TRUST_SCHEMA_VERSION' },
      });
    }
  });

  it('refuses shape errors and bad key material, naming the slot', () => {
    const t = fixtureJson('trust.json');
    const noSlot = parseTrustConfig({ ...t, ciReleaseKey: undefined });
    expect(noSlot).toMatchObject({ ok: false, error: { code: 'TRUST_ERR_INVALID_TRUST_CONFIG' } });
    const shortKey = {
      ...slotJson({ current: keys.ci }),
      current: { algorithm: 'ed25519', public: 'AAAA' },
    };
    expect(parseTrustConfig({ ...t, ciReleaseKey: shortKey })).toMatchObject({
      ok: false,
      error: { kind: 'InvalidTrustConfig', issues: [{ path: 'ciReleaseKey.current.public' }] },
    });
    // An ed25519 key declared as P-256 has the wrong length.
    const mislabelled = {
      ...slotJson({ current: keys.ci }),
      current: { algorithm: 'ecdsa-p256', public: keys.ci.publicKey.base64 },
    };
    expect(parseTrustConfig({ ...t, ciReleaseKey: mislabelled }).ok).toBe(false);
    expect(parseTrustConfigBytes(encodeUtf8('{')).ok).toBe(false);
  });

  it('accepts unknown top-level fields (open contract)', () => {
    expect(
      parseTrustConfig({ ...fixtureJson<Record<string, unknown>>('trust.json'), futureField: true })
        .ok,
    ).toBe(true);
  });
});

describe('activeKeysAt: the key-slot rules', () => {
  it('current alone', () => {
    expect(roles(trustWith({ current: keys.ci }), '2030-01-01T00:00:00Z')).toEqual(['current']);
  });

  it('previous until retireAt (exclusive), then gone', () => {
    const t = trustWith({
      current: keys.ciNext,
      previous: keys.ci,
      retireAt: '2026-02-14T00:00:00Z',
    });
    expect(roles(t, '2026-02-13T23:59:59Z')).toEqual(['current', 'previous']);
    expect(roles(t, '2026-02-14T00:00:00Z')).toEqual(['current']);
  });

  it('previous without retireAt stays until the operator removes it', () => {
    expect(
      roles(trustWith({ current: keys.ciNext, previous: keys.ci }), '2099-01-01T00:00:00Z'),
    ).toEqual(['current', 'previous']);
  });

  it('successor from announcement on, before and after retireAt', () => {
    const t = trustWith({
      current: keys.ci,
      successor: keys.ciNext,
      retireAt: '2026-02-14T00:00:00Z',
    });
    expect(roles(t, '2026-01-01T00:00:00Z')).toEqual(['current', 'successor']);
    expect(roles(t, '2026-03-01T00:00:00Z')).toEqual(['current', 'successor']);
    expect(rotationDue(t.ciReleaseKey, new Date('2026-02-13T00:00:00Z'))).toBe(false);
    expect(rotationDue(t.ciReleaseKey, new Date('2026-02-14T00:00:00Z'))).toBe(true);
    expect(
      rotationDue(
        trustWith({ current: keys.ci, retireAt: '2026-01-01T00:00:00Z' }).ciReleaseKey,
        new Date('2027-01-01T00:00:00Z'),
      ),
    ).toBe(false);
  });

  it('all three during a rotation that overlaps a grace period', () => {
    const t = trustWith({
      current: keys.ci,
      previous: keys.ciOld,
      successor: keys.ciNext,
      retireAt: '2026-02-14T00:00:00Z',
    });
    expect(roles(t, '2026-02-01T00:00:00Z')).toEqual(['current', 'successor', 'previous']);
    expect(roles(t, '2026-02-15T00:00:00Z')).toEqual(['current', 'successor']);
  });

  it('rejectBefore removes no key (it gates signing times instead)', () => {
    const t = trustWith({ current: keys.ci, rejectBefore: '2030-01-01T00:00:00Z' });
    expect(roles(t, '2026-01-01T00:00:00Z')).toEqual(['current']);
    expect(t.ciReleaseKey.rejectBefore?.text).toBe('2030-01-01T00:00:00Z');
  });
});
