// long-file: the refusal table of every signed artifact kind over shared
// fixtures; split by kind it would repeat the fixture setup in each file.
import { describe, expect, it } from 'vitest';
import type { Revocations } from '../contracts/index.ts';
import {
  bitFlips,
  FIXTURE_COMMIT,
  FIXTURE_NOW,
  FIXTURE_SIGNED_AT,
  fixtureBytes,
  fixtureJson,
  keys,
  signValue,
  trustWith,
} from '../../tests/fixtures/trust/helpers.ts';
import { sha256Hex } from './canonical.ts';
import { encodeUtf8 } from './encoding.ts';
import { VERIFY_ERROR_CODES, type VerifyError } from './errors.ts';
import { parseTrustConfigBytes, type TrustConfig } from './trust-config.ts';
import { signBytes } from './signature.ts';
import {
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
} from './verify-artifacts.ts';
import type { VerifyResult } from './verify-signed.ts';

const load = (name: string): TrustConfig => {
  const r = parseTrustConfigBytes(fixtureBytes(name));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const trust = load('trust.json');
const trustP256 = load('trust-p256.json');
const now = new Date(FIXTURE_NOW);
const DAY = 86_400;
const opts = { trust, now, freshnessWindowSecs: DAY };
const stableId = `stable@${FIXTURE_COMMIT}`;
const edgeId = `edge@${FIXTURE_COMMIT}`;

function errorOf<T>(r: VerifyResult<T>): VerifyError {
  if (r.ok) throw new Error('expected a verification failure');
  expect(r.error.code).toBe(VERIFY_ERROR_CODES[r.error.kind]);
  expect(r.error.message.length).toBeGreaterThan(10);
  return r.error;
}

const revocations = (): Revocations => fixtureJson<Revocations>('revocations.json');
const at = (signedAt: string, base = revocations()): Revocations => ({
  ...base,
  meta: { ...base.meta, signedAt },
});

describe('golden fixtures verify', () => {
  it('fleet.resolved (ed25519) with the facts a caller needs', () => {
    const bytes = fixtureBytes('fleet.resolved.json');
    const r = verifyArtifact(bytes, fixtureBytes('fleet.resolved.json.sig'), opts);
    expect(r).toMatchObject({
      ok: true,
      value: { algorithm: 'ed25519', signedAt: FIXTURE_SIGNED_AT, signer: { role: 'current' } },
    });
    if (r.ok) {
      expect(r.value.sha256).toBe(sha256Hex(bytes));
      expect(r.value.signer.fingerprint).toBe(keys.ci.publicKey.fingerprint);
      expect(Object.keys(r.value.value.hosts)).toHaveLength(50);
    }
  });

  it('fleet.resolved (ecdsa-p256), with its low-s and its high-s signature', () => {
    const bytes = fixtureBytes('fleet.resolved.p256.json');
    for (const sig of ['fleet.resolved.p256.json.sig', 'fleet.resolved.p256.json.high-s.sig']) {
      const r = verifyArtifact(bytes, fixtureBytes(sig), { ...opts, trust: trustP256 });
      expect(r).toMatchObject({ ok: true, value: { algorithm: 'ecdsa-p256' } });
    }
  });

  it('sidecars and both rollout manifests (anchored to the fleet.resolved)', () => {
    expect(
      verifyRevocations(
        fixtureBytes('revocations.json'),
        fixtureBytes('revocations.json.sig'),
        opts,
      ).ok,
    ).toBe(true);
    const nonces = verifyBootstrapNonces(
      fixtureBytes('bootstrap-nonces.json'),
      fixtureBytes('bootstrap-nonces.json.sig'),
      opts,
    );
    expect(nonces.ok).toBe(true);
    const fleetResolvedHash = sha256Hex(fixtureBytes('fleet.resolved.json'));
    for (const id of [stableId, edgeId]) {
      const r = verifyRolloutManifest(
        fixtureBytes(`rollouts/${id}.json`),
        fixtureBytes(`rollouts/${id}.json.sig`),
        {
          ...opts,
          expectedRolloutId: id,
          fleetResolvedHash,
        },
      );
      expect(r).toMatchObject({ ok: true, value: { value: { fleetResolvedHash } } });
    }
  });
});

describe('every single-bit flip is rejected', () => {
  for (const [name, key, t] of [
    ['ed25519', keys.ci, trust],
    ['ecdsa-p256', keys.ciP256, trustP256],
  ] as const) {
    it(`of a small ${name}-signed artifact and of its signature`, () => {
      const value =
        name === 'ed25519'
          ? revocations()
          : { ...revocations(), meta: { ...revocations().meta, signatureAlgorithm: name } };
      const { bytes, sig } = signValue(value, key);
      const o = { ...opts, trust: t };
      expect(verifyRevocations(bytes, sig, o).ok).toBe(true);
      const kinds = new Map<string, number>();
      let flips = 0;
      for (const { flipped } of bitFlips(bytes)) {
        const r = verifyRevocations(flipped, sig, o);
        expect(r.ok).toBe(false);
        if (!r.ok) kinds.set(r.error.kind, (kinds.get(r.error.kind) ?? 0) + 1);
        flips++;
      }
      for (const { flipped } of bitFlips(sig)) {
        expect(errorOf(verifyRevocations(bytes, flipped, o)).kind).toBe('BadSignature');
        flips++;
      }
      expect(flips).toBe((bytes.length + 64) * 8);
      // Flips land in every stage: unparsable, non-canonical, and parsable-but-forged.
      expect(kinds.get('BadSignature')).toBeGreaterThan(0);
      expect(kinds.get('Malformed')).toBeGreaterThan(0);
      expect(kinds.get('NotCanonical')).toBeGreaterThan(0);
    });
  }
});

describe('keys and rotation', () => {
  const fresh = (key = keys.ci, signedAt = FIXTURE_SIGNED_AT) => signValue(at(signedAt), key);

  it('refuses a signature by an untrusted key', () => {
    const { bytes, sig } = fresh(keys.ciOld);
    expect(errorOf(verifyRevocations(bytes, sig, opts))).toMatchObject({
      kind: 'BadSignature',
      keysTried: 1,
    });
  });

  it('accepts the previous key during the overlap and refuses it after retireAt', () => {
    const rotated = trustWith({
      current: keys.ciNext,
      previous: keys.ci,
      retireAt: '2026-02-14T00:00:00Z',
    });
    const during = fresh(keys.ci, '2026-02-13T23:00:00Z');
    const r = verifyRevocations(during.bytes, during.sig, {
      ...opts,
      trust: rotated,
      now: new Date('2026-02-13T23:30:00Z'),
    });
    expect(r).toMatchObject({ ok: true, value: { signer: { role: 'previous' } } });
    const after = fresh(keys.ci, '2026-02-14T00:00:00Z');
    const later = { ...opts, trust: rotated, now: new Date('2026-02-14T00:00:01Z') };
    expect(errorOf(verifyRevocations(after.bytes, after.sig, later)).kind).toBe('BadSignature');
    const byNew = fresh(keys.ciNext, '2026-02-14T00:00:00Z');
    expect(verifyRevocations(byNew.bytes, byNew.sig, later)).toMatchObject({
      ok: true,
      value: { signer: { role: 'current' } },
    });
  });

  it('accepts an announced successor before and after retireAt, alongside current', () => {
    const announced = trustWith({
      current: keys.ci,
      successor: keys.ciNext,
      retireAt: '2026-02-14T00:00:00Z',
    });
    for (const when of ['2026-01-15T13:00:00Z', '2026-02-20T00:00:00Z']) {
      const byNext = fresh(keys.ciNext, when);
      const byCurrent = fresh(keys.ci, when);
      const o = { ...opts, trust: announced, now: new Date(when) };
      expect(verifyRevocations(byNext.bytes, byNext.sig, o)).toMatchObject({
        ok: true,
        value: { signer: { role: 'successor' } },
      });
      expect(verifyRevocations(byCurrent.bytes, byCurrent.sig, o)).toMatchObject({
        ok: true,
        value: { signer: { role: 'current' } },
      });
    }
  });

  it('rotates across algorithms: a P-256 successor next to an ed25519 current', () => {
    const mixed = trustWith({ current: keys.ci, successor: keys.ciP256 });
    const value = {
      ...revocations(),
      meta: { ...revocations().meta, signatureAlgorithm: 'ecdsa-p256' },
    };
    const { bytes, sig } = signValue(value, keys.ciP256);
    expect(verifyRevocations(bytes, sig, { ...opts, trust: mixed })).toMatchObject({
      ok: true,
      value: { algorithm: 'ecdsa-p256', signer: { role: 'successor' } },
    });
  });

  it('refuses everything when the slot has no active key', () => {
    const empty = trustWith({ current: null, previous: keys.ci, retireAt: '2026-01-01T00:00:00Z' });
    const { bytes, sig } = fresh();
    expect(errorOf(verifyRevocations(bytes, sig, { ...opts, trust: empty }))).toMatchObject({
      kind: 'NoTrustedKey',
      slot: 'ciReleaseKey',
    });
  });

  it('applies rejectBefore whichever key signed, after freshness', () => {
    const cut = trustWith({
      current: keys.ci,
      successor: keys.ciNext,
      rejectBefore: '2026-01-15T12:30:00Z',
    });
    for (const key of [keys.ci, keys.ciNext]) {
      const before = fresh(key, '2026-01-15T12:29:59Z');
      expect(
        errorOf(verifyRevocations(before.bytes, before.sig, { ...opts, trust: cut })),
      ).toMatchObject({
        kind: 'RejectedBeforeCutoff',
        rejectBefore: '2026-01-15T12:30:00Z',
      });
      const onCutoff = fresh(key, '2026-01-15T12:30:00Z');
      expect(verifyRevocations(onCutoff.bytes, onCutoff.sig, { ...opts, trust: cut }).ok).toBe(
        true,
      );
    }
    // Stale and before the cutoff: freshness is checked first.
    const old = fresh(keys.ci, '2026-01-01T00:00:00Z');
    expect(errorOf(verifyRevocations(old.bytes, old.sig, { ...opts, trust: cut })).kind).toBe(
      'Stale',
    );
  });
});

describe('freshness', () => {
  const { bytes, sig } = signValue(revocations(), keys.ci); // signed at FIXTURE_SIGNED_AT
  const signed = Date.parse(FIXTURE_SIGNED_AT);

  it('accepts an age equal to the window and refuses one second more', () => {
    expect(verifyRevocations(bytes, sig, { ...opts, now: new Date(signed + DAY * 1000) }).ok).toBe(
      true,
    );
    expect(
      errorOf(
        verifyRevocations(bytes, sig, { ...opts, now: new Date(signed + DAY * 1000 + 1000) }),
      ),
    ).toMatchObject({
      kind: 'Stale',
      ageSecs: DAY + 1,
      windowSecs: DAY,
    });
  });

  it('tolerates the 60 s clock-skew slack into the future and refuses beyond it', () => {
    expect(verifyRevocations(bytes, sig, { ...opts, now: new Date(signed - 60_000) }).ok).toBe(
      true,
    );
    expect(
      errorOf(verifyRevocations(bytes, sig, { ...opts, now: new Date(signed - 61_000) })),
    ).toMatchObject({
      kind: 'FutureDated',
      aheadSecs: 61,
      slackSecs: 60,
    });
    expect(
      errorOf(
        verifyRevocations(bytes, sig, {
          ...opts,
          now: new Date(signed - 1000),
          clockSkewSlackSecs: 0,
        }),
      ).kind,
    ).toBe('FutureDated');
  });

  it('refuses a missing or non-UTC signedAt as malformed', () => {
    for (const signedAt of [null, '2026-01-15T12:00:00+00:00', '2026-02-30T00:00:00Z']) {
      const v = signValue({ ...revocations(), meta: { ...revocations().meta, signedAt } }, keys.ci);
      expect(errorOf(verifyRevocations(v.bytes, v.sig, opts))).toMatchObject({
        kind: 'Malformed',
        detail: 'meta.signedAt',
      });
    }
  });
});

describe('algorithms', () => {
  it('refuses a P-256 artifact under an ed25519-only trust root (and vice versa)', () => {
    const p256Bytes = fixtureBytes('fleet.resolved.p256.json');
    const p256Sig = fixtureBytes('fleet.resolved.p256.json.sig');
    expect(errorOf(verifyArtifact(p256Bytes, p256Sig, opts))).toMatchObject({
      kind: 'AlgorithmMismatch',
      declared: 'ecdsa-p256',
      trusted: ['ed25519'],
    });
    const ed = verifyArtifact(
      fixtureBytes('fleet.resolved.json'),
      fixtureBytes('fleet.resolved.json.sig'),
      {
        ...opts,
        trust: trustP256,
      },
    );
    expect(errorOf(ed)).toMatchObject({ kind: 'AlgorithmMismatch', declared: 'ed25519' });
  });

  it('reads an absent signatureAlgorithm as ed25519, so a P-256 signer must declare itself', () => {
    const { bytes, sig } = signValue(revocations(), keys.ciP256); // meta has no signatureAlgorithm
    expect(errorOf(verifyRevocations(bytes, sig, { ...opts, trust: trustP256 })).kind).toBe(
      'AlgorithmMismatch',
    );
  });

  it('refuses an unknown algorithm name', () => {
    const { bytes, sig } = signValue(
      { ...revocations(), meta: { ...revocations().meta, signatureAlgorithm: 'rsa-pss' } },
      keys.ci,
    );
    expect(errorOf(verifyRevocations(bytes, sig, opts))).toMatchObject({
      kind: 'AlgorithmMismatch',
      declared: 'rsa-pss',
    });
  });
});

describe('shape and schema', () => {
  it('refuses bytes that are not their own canonical form, even when correctly signed', () => {
    const pretty = encodeUtf8(JSON.stringify(revocations(), null, 2));
    expect(errorOf(verifyRevocations(pretty, signBytes(pretty, keys.ci), opts))).toMatchObject({
      kind: 'NotCanonical',
      offset: 1,
    });
    const trailing = new Uint8Array([...fixtureBytes('revocations.json'), 0x0a]);
    expect(errorOf(verifyRevocations(trailing, signBytes(trailing, keys.ci), opts)).kind).toBe(
      'NotCanonical',
    );
    // Duplicate member names collapse on parse, so the bytes cannot be canonical.
    const dup = encodeUtf8('{"a":1,"a":1}');
    expect(errorOf(verifyRevocations(dup, signBytes(dup, keys.ci), opts)).kind).toBe(
      'NotCanonical',
    );
  });

  it('refuses non-JSON, non-objects and a missing meta as malformed', () => {
    for (const text of ['not json', '[1,2]', '{"schemaVersion":1}']) {
      const bytes = encodeUtf8(text);
      expect(errorOf(verifyRevocations(bytes, signBytes(bytes, keys.ci), opts)).kind).toBe(
        'Malformed',
      );
    }
  });

  it('refuses an unknown schemaVersion, top level or in meta', () => {
    const top = signValue({ ...revocations(), schemaVersion: 2 }, keys.ci);
    expect(errorOf(verifyRevocations(top.bytes, top.sig, opts))).toMatchObject({
      kind: 'UnsupportedSchemaVersion',
      found: 2,
      accepted: [1],
    });
    const meta = signValue(
      { ...revocations(), meta: { ...revocations().meta, schemaVersion: 3 } },
      keys.ci,
    );
    expect(errorOf(verifyRevocations(meta.bytes, meta.sig, opts))).toMatchObject({
      kind: 'UnsupportedSchemaVersion',
      found: 3,
    });
  });

  it('accepts unknown extra fields (additive evolution within v1)', () => {
    const base = revocations();
    const extended = {
      ...base,
      futureTopLevel: { anything: [1, 2, 3] },
      meta: { ...base.meta, buildHost: 'ci-01' },
      revocations: base.revocations.map((r) => ({ ...r, ticket: 'SEC-42' })),
    };
    const { bytes, sig } = signValue(extended, keys.ci);
    const r = verifyRevocations(bytes, sig, opts);
    expect(r).toMatchObject({
      ok: true,
      value: { value: { futureTopLevel: { anything: [1, 2, 3] } } },
    });
  });

  it('refuses a signed value that breaks the contract, naming the path', () => {
    const { revocations: _dropped, ...rest } = revocations();
    const missing = signValue(rest, keys.ci);
    const e = errorOf(verifyRevocations(missing.bytes, missing.sig, opts));
    expect(e).toMatchObject({ kind: 'SchemaInvalid', contract: 'revocations' });
    if (e.kind === 'SchemaInvalid') expect(e.issues.map((i) => i.path)).toContain('revocations');
    const badHost = signValue(
      {
        ...revocations(),
        revocations: [{ ...revocations().revocations[0], hostname: 'Bad Host' }],
      },
      keys.ci,
    );
    expect(errorOf(verifyRevocations(badHost.bytes, badHost.sig, opts)).kind).toBe('SchemaInvalid');
  });

  it('checks each artifact against its own contract', () => {
    // Correctly signed revocations are not a fleet.resolved.
    const r = verifyArtifact(
      fixtureBytes('revocations.json'),
      fixtureBytes('revocations.json.sig'),
      opts,
    );
    expect(errorOf(r)).toMatchObject({ kind: 'SchemaInvalid', contract: 'fleet-resolved' });
  });
});

describe('rollout manifests', () => {
  const bytes = fixtureBytes(`rollouts/${edgeId}.json`);
  const sig = fixtureBytes(`rollouts/${edgeId}.json.sig`);

  it('refuses a manifest served under another rollout id', () => {
    expect(
      errorOf(verifyRolloutManifest(bytes, sig, { ...opts, expectedRolloutId: stableId })),
    ).toMatchObject({
      kind: 'RolloutIdMismatch',
      expected: stableId,
      actual: edgeId,
    });
    expect(
      errorOf(
        verifyRolloutManifest(bytes, sig, { ...opts, expectedRolloutId: `edge@${'0'.repeat(40)}` }),
      ).kind,
    ).toBe('RolloutIdMismatch');
  });

  it('refuses a manifest anchored to another fleet.resolved', () => {
    const other = sha256Hex(fixtureBytes('fleet.resolved.p256.json'));
    expect(
      errorOf(
        verifyRolloutManifest(bytes, sig, {
          ...opts,
          expectedRolloutId: edgeId,
          fleetResolvedHash: other,
        }),
      ),
    ).toMatchObject({
      kind: 'AnchorMismatch',
      expected: other,
    });
  });

  it('is subject to the same signature and freshness rules', () => {
    const o = { ...opts, expectedRolloutId: edgeId };
    expect(errorOf(verifyRolloutManifest(bytes, sig, { ...o, freshnessWindowSecs: 60 })).kind).toBe(
      'Stale',
    );
    expect(
      errorOf(verifyRolloutManifest(bytes, fixtureBytes(`rollouts/${stableId}.json.sig`), o)).kind,
    ).toBe('BadSignature');
  });
});
