import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProbePayload } from '../contracts/index.ts';
import {
  FIXTURE_DIR,
  FIXTURE_HOST,
  fixtureBytes,
  fixtureJson,
  keys,
  signValue,
  bitFlips,
} from '../../tests/fixtures/trust/helpers.ts';
import { publicKeyFromOpenSsh } from './keys.ts';
import { verifySignedPayload } from './verify-payload.ts';

const hostKey = (() => {
  const r = publicKeyFromOpenSsh(
    readFileSync(`${FIXTURE_DIR}/keys/${FIXTURE_HOST}_ed25519_key.pub`, 'utf8'),
  );
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
})();
const payload = fixtureBytes(`probe/${FIXTURE_HOST}.json`);
const sig = fixtureBytes(`probe/${FIXTURE_HOST}.json.sig`);

describe('verifySignedPayload', () => {
  it('verifies the fixture probe payload against the OpenSSH host key', () => {
    const r = verifySignedPayload(payload, sig, {
      publicKey: hostKey,
      contract: 'probe-payload',
      expectedHostname: FIXTURE_HOST,
    });
    expect(r).toMatchObject({
      ok: true,
      value: { value: { probe: 'evidence-nis2' }, signerFingerprint: hostKey.fingerprint },
    });
  });

  it('refuses every single-bit flip of the signature and of the payload', () => {
    for (const { flipped } of bitFlips(sig))
      expect(verifySignedPayload(payload, flipped, { publicKey: hostKey }).ok).toBe(false);
    for (const { flipped } of bitFlips(payload))
      expect(verifySignedPayload(flipped, sig, { publicKey: hostKey }).ok).toBe(false);
  });

  it('refuses another host key and a non-ed25519 key', () => {
    expect(verifySignedPayload(payload, sig, { publicKey: keys.ci.publicKey })).toMatchObject({
      ok: false,
      error: { kind: 'BadSignature' },
    });
    expect(verifySignedPayload(payload, sig, { publicKey: keys.ciP256.publicKey })).toMatchObject({
      ok: false,
      error: { kind: 'AlgorithmMismatch' },
    });
  });

  it('refuses a payload claiming another hostname, or breaking the contract', () => {
    expect(
      verifySignedPayload(payload, sig, { publicKey: hostKey, expectedHostname: 'host-00001' }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'ClaimMismatch' },
    });
    const { status: _s, ...rest } = fixtureJson<ProbePayload>(`probe/${FIXTURE_HOST}.json`);
    const broken = signValue(rest, keys.host);
    expect(
      verifySignedPayload(broken.bytes, broken.sig, {
        publicKey: hostKey,
        contract: 'probe-payload',
      }),
    ).toMatchObject({
      ok: false,
      error: { kind: 'SchemaInvalid' },
    });
    // Without a contract the same bytes verify: the caller chose not to validate.
    expect(verifySignedPayload(broken.bytes, broken.sig, { publicKey: hostKey }).ok).toBe(true);
  });
});
