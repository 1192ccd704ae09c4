// Raw 64-byte signatures over canonical bytes (CONTRACTS.md "Signatures and
// keys"): ed25519 R‖S, ECDSA P-256 r‖s (SHA-256, no DER). Verification runs on
// node:crypto (OpenSSL) with cached key objects — an order of magnitude faster
// than pure-JS curves on this hardware; @noble/curves is kept as an
// independent implementation for cross-checks (tests, benchmark).
import { sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { PublicKey } from './keys.ts';
import type { PrivateKey } from './private-keys.ts';

/** Length of every signature file. */
export const SIGNATURE_LENGTH = 64;

/** Order n of the P-256 group (FIPS 186-4 D.1.2.3). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const P256_HALF_N = P256_N >> 1n;

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
}

function to32(n: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
}

/**
 * True when a raw P-256 signature r‖s has s > n/2 (the "high-s" half that
 * hardware signers emit about half the time).
 *
 * @example
 *   isHighS(sig) // false for signatures produced by signBytes
 */
export function isHighS(signature: Uint8Array): boolean {
  return signature.length === SIGNATURE_LENGTH && toBigInt(signature.subarray(32)) > P256_HALF_N;
}

/**
 * Maps a raw P-256 signature r‖s to its low-s twin r‖(n−s). Both verify under
 * plain ECDSA; low-s is the form strict verifiers demand.
 *
 * @example
 *   normalizeLowS(highSig) // same r, s' = n − s
 */
export function normalizeLowS(signature: Uint8Array): Uint8Array {
  if (!isHighS(signature)) return signature;
  const s = toBigInt(signature.subarray(32));
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(signature.subarray(0, 32), 0);
  out.set(to32(P256_N - s), 32);
  return out;
}

/**
 * Maps a raw P-256 signature to its high-s twin (tests and fixtures use it to
 * reproduce what hardware signers emit).
 *
 * @example
 *   toHighS(sig) // r‖(n−s) when s is low
 */
export function toHighS(signature: Uint8Array): Uint8Array {
  if (isHighS(signature)) return signature;
  const s = toBigInt(signature.subarray(32));
  const out = new Uint8Array(SIGNATURE_LENGTH);
  out.set(signature.subarray(0, 32), 0);
  out.set(to32(P256_N - s), 32);
  return out;
}

/**
 * Signs bytes with a private key; returns the raw 64-byte signature. P-256
 * signatures are normalised to low-s so every producer here emits one form.
 *
 * @example
 *   const sig = signBytes(canonicalBytes, ciKey); // write as fleet.resolved.json.sig
 */
export function signBytes(message: Uint8Array, key: PrivateKey): Uint8Array {
  if (key.algorithm === 'ed25519') return new Uint8Array(nodeSign(null, message, key.keyObject));
  const der = nodeSign('sha256', message, { key: key.keyObject, dsaEncoding: 'ieee-p1363' });
  return normalizeLowS(new Uint8Array(der));
}

/**
 * Verifies a raw 64-byte signature over `message` with node:crypto. High-s
 * ECDSA signatures are normalised first (CONTRACTS.md); any malformed input
 * yields `false`, never an exception.
 *
 * @example
 *   verifyBytes(canonicalBytes, sig, trustedKey) // true | false
 */
export function verifyBytes(message: Uint8Array, signature: Uint8Array, key: PublicKey): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  try {
    if (key.algorithm === 'ed25519') return nodeVerify(null, message, key.keyObject, signature);
    return nodeVerify(
      'sha256',
      message,
      { key: key.keyObject, dsaEncoding: 'ieee-p1363' },
      normalizeLowS(signature),
    );
  } catch {
    return false;
  }
}

/**
 * Verifies like {@link verifyBytes} but with @noble/curves — the independent
 * cross-check. noble's P-256 verifier demands low-s, so high-s is normalised.
 *
 * @example
 *   verifyBytesNoble(canonicalBytes, sig, trustedKey) === verifyBytes(canonicalBytes, sig, trustedKey)
 */
export function verifyBytesNoble(
  message: Uint8Array,
  signature: Uint8Array,
  key: PublicKey,
): boolean {
  if (signature.length !== SIGNATURE_LENGTH) return false;
  try {
    // RFC 8032 strict decoding, as OpenSSL does (noble defaults to ZIP-215).
    if (key.algorithm === 'ed25519')
      return ed25519.verify(signature, message, key.raw, { zip215: false });
    const sec1 = new Uint8Array(65);
    sec1[0] = 0x04;
    sec1.set(key.raw, 1);
    return p256.verify(normalizeLowS(signature), message, sec1, { prehash: true, lowS: true });
  } catch {
    return false;
  }
}
