// Public keys of the trust model (CONTRACTS.md "Signatures and keys"):
// base64 raw keys from trust.json (ed25519: 32 bytes; ecdsa-p256: X‖Y, 64
// bytes, no 0x04 prefix) and OpenSSH `ssh-ed25519` host keys. Each parsed key
// carries a ready node:crypto KeyObject, built once and cached, because
// building one costs about as much as a verification.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { parseOpenSshPublicKey } from './openssh.ts';
import { keyError, type KeyError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import type { SignatureAlgorithm } from './algorithms.ts';

export type { SignatureAlgorithm } from './algorithms.ts';

/** Every algorithm this implementation verifies. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ed25519', 'ecdsa-p256'];

/** Raw public key length per algorithm. */
export const PUBLIC_KEY_LENGTH: Readonly<Record<SignatureAlgorithm, number>> = {
  ed25519: 32,
  'ecdsa-p256': 64,
};

/** A parsed public key, ready to verify. */
export interface PublicKey {
  readonly algorithm: SignatureAlgorithm;
  /** Raw bytes: ed25519 32 bytes; ecdsa-p256 X‖Y (64 bytes). */
  readonly raw: Uint8Array;
  /** Standard padded base64 of `raw` — the trust.json encoding. */
  readonly base64: string;
  /** base64 (standard, padded) of SHA-256 over `raw` (CONTRACTS.md). */
  readonly fingerprint: string;
  /** node:crypto key object, built once. */
  readonly keyObject: KeyObject;
}

/**
 * True for the algorithm names of the trust contracts.
 *
 * @example
 *   isSignatureAlgorithm('ed25519') // true
 */
export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return value === 'ed25519' || value === 'ecdsa-p256';
}

/**
 * Fingerprint of raw public key bytes: standard padded base64 of SHA-256.
 * For a host key this is `claims.expectedPubkeyFingerprint` of a bootstrap token.
 *
 * @example
 *   fingerprintRaw(raw32) // 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='
 */
export function fingerprintRaw(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('base64');
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

// Verifiers see the same few keys over and over (trust.json, host keys); the
// cache keeps their KeyObjects. Bounded so a stream of distinct host keys
// cannot grow it without limit.
const CACHE_LIMIT = 4096;
const cache = new Map<string, PublicKey>();

/**
 * Builds a public key from raw bytes (ed25519 32 bytes; ecdsa-p256 X‖Y).
 *
 * @example
 *   publicKeyFromRaw('ed25519', raw32)
 */
export function publicKeyFromRaw(
  algorithm: SignatureAlgorithm,
  raw: Uint8Array,
): Result<PublicKey, KeyError> {
  const expected = PUBLIC_KEY_LENGTH[algorithm];
  if (raw.length !== expected) {
    return err(
      keyError(
        'InvalidKey',
        `${algorithm} public key must be ${expected} bytes, got ${raw.length}`,
      ),
    );
  }
  const base64 = encodeBase64(raw);
  const cacheKey = `${algorithm}:${base64}`;
  const hit = cache.get(cacheKey);
  if (hit) return ok(hit);
  let keyObject: KeyObject;
  try {
    keyObject =
      algorithm === 'ed25519'
        ? createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' })
        : createPublicKey({
            key: {
              kty: 'EC',
              crv: 'P-256',
              x: b64url(raw.subarray(0, 32)),
              y: b64url(raw.subarray(32)),
            },
            format: 'jwk',
          });
  } catch (e) {
    return err(keyError('InvalidKey', `${algorithm} public key rejected: ${(e as Error).message}`));
  }
  const key: PublicKey = Object.freeze({
    algorithm,
    raw: Uint8Array.from(raw),
    base64,
    fingerprint: fingerprintRaw(raw),
    keyObject,
  });
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cacheKey, key);
  return ok(key);
}

/**
 * Parses a trust.json public key: base64 of the raw bytes.
 *
 * @example
 *   publicKeyFromBase64('ed25519', 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=')
 */
export function publicKeyFromBase64(
  algorithm: SignatureAlgorithm,
  text: string,
): Result<PublicKey, KeyError> {
  const raw = decodeBase64Strict(text);
  if (raw === null) {
    return err(keyError('InvalidKey', `${algorithm} public key is not standard padded base64`));
  }
  return publicKeyFromRaw(algorithm, raw);
}

/**
 * Parses an OpenSSH `ssh-ed25519 AAAA… [comment]` public key line (a host
 * key from fleet.nix or `/etc/ssh/ssh_host_ed25519_key.pub`).
 *
 * @example
 *   publicKeyFromOpenSsh('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… root@web-01')
 */
export function publicKeyFromOpenSsh(line: string): Result<PublicKey, KeyError> {
  const parsed = parseOpenSshPublicKey(line);
  return parsed.ok ? publicKeyFromRaw('ed25519', parsed.value.raw) : parsed;
}
