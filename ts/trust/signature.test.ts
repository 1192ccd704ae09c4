import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHex } from './encoding.ts';
import { SIGNATURE_ALGORITHMS } from './keys.ts';
import { exportSeed, generatePrivateKey, parsePrivateKey } from './private-keys.ts';
import {
  isHighS,
  normalizeLowS,
  signBytes,
  toHighS,
  verifyBytes,
  verifyBytesNoble,
} from './signature.ts';

const hex = (s: string): Uint8Array => decodeHex(s) as Uint8Array;

describe('RFC 8032 Ed25519 test vectors', () => {
  const vectors = [
    {
      seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      message: '',
      signature:
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      message: '72',
      signature:
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
  ];
  it.each(vectors)('signs and verifies vector %#', ({ seed, message, signature }) => {
    const key = parsePrivateKey(seed);
    if (!key.ok) throw new Error(key.error.message);
    const sig = signBytes(hex(message), key.value);
    expect(Buffer.from(sig).toString('hex')).toBe(signature);
    expect(verifyBytes(hex(message), sig, key.value.publicKey)).toBe(true);
    expect(verifyBytesNoble(hex(message), sig, key.value.publicKey)).toBe(true);
  });
});

describe.each(SIGNATURE_ALGORITHMS)('%s signatures', (algorithm) => {
  const key = generatePrivateKey(algorithm);
  const other = generatePrivateKey(algorithm);
  const message = new TextEncoder().encode('{"a":1}');
  const sig = signBytes(message, key);

  it('are raw 64 bytes and verify with node:crypto and @noble/curves', () => {
    expect(sig.length).toBe(64);
    expect(verifyBytes(message, sig, key.publicKey)).toBe(true);
    expect(verifyBytesNoble(message, sig, key.publicKey)).toBe(true);
  });

  it('fail under another key, another message, or a truncated/extended signature', () => {
    expect(verifyBytes(message, sig, other.publicKey)).toBe(false);
    expect(verifyBytes(new TextEncoder().encode('{"a":2}'), sig, key.publicKey)).toBe(false);
    expect(verifyBytes(message, sig.subarray(0, 63), key.publicKey)).toBe(false);
    expect(verifyBytes(message, new Uint8Array([...sig, 0]), key.publicKey)).toBe(false);
    expect(verifyBytesNoble(message, sig, other.publicKey)).toBe(false);
  });

  it('agree across implementations on random messages and garbage signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (msg, junk) => {
          const s = signBytes(msg, key);
          expect(verifyBytes(msg, s, key.publicKey)).toBe(true);
          expect(verifyBytesNoble(msg, s, key.publicKey)).toBe(true);
          expect(verifyBytes(msg, junk, key.publicKey)).toBe(
            verifyBytesNoble(msg, junk, key.publicKey),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('accept signatures produced by @noble/curves', () => {
    const seed = exportSeed(key);
    const nobleSig =
      algorithm === 'ed25519'
        ? ed25519.sign(message, seed)
        : p256.sign(message, seed, { prehash: true });
    expect(verifyBytes(message, nobleSig, key.publicKey)).toBe(true);
  });
});

describe('high-s ECDSA', () => {
  const key = generatePrivateKey('ecdsa-p256');
  const message = new TextEncoder().encode('fleet.resolved bytes');

  it('signBytes emits low-s; its high-s twin verifies in both implementations', () => {
    for (let i = 0; i < 20; i++) {
      const low = signBytes(message, key);
      expect(isHighS(low)).toBe(false);
      const high = toHighS(low);
      expect(isHighS(high)).toBe(true);
      expect(Buffer.from(high.subarray(0, 32)).equals(Buffer.from(low.subarray(0, 32)))).toBe(true);
      expect(verifyBytes(message, high, key.publicKey)).toBe(true);
      expect(verifyBytesNoble(message, high, key.publicKey)).toBe(true);
      expect(Buffer.from(normalizeLowS(high)).equals(Buffer.from(low))).toBe(true);
    }
  });

  it('noble refuses high-s unless normalised — the reason verifiers normalise', () => {
    const high = toHighS(signBytes(message, key));
    const sec1 = new Uint8Array([4, ...key.publicKey.raw]);
    expect(p256.verify(high, message, sec1, { prehash: true, lowS: true })).toBe(false);
  });
});
