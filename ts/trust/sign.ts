// The producer half: canonical bytes plus a raw signature, the exact pair a
// verifier accepts. Used by the release step's built-in signer, bootstrap-token
// minting, host evidence signing, the fixture script and the benchmark; an
// external --sign-cmd hook produces the same pair from the same bytes.
import type { BootstrapToken } from '../contracts/index.ts';
import { canonicalBytes, type CanonicalError } from './canonical.ts';
import { encodeBase64 } from './encoding.ts';
import type { PrivateKey } from './private-keys.ts';
import { keyError, type KeyError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import { signBytes } from './signature.ts';
import { BOOTSTRAP_TOKEN_VERSION } from './verify-token.ts';

/** Canonical bytes of a value and the raw signature over them. */
export interface SignedBytes {
  /** Write these as the artifact file (e.g. fleet.resolved.json). */
  readonly canonical: Uint8Array;
  /** Write these as the `.sig` file: raw 64 bytes. */
  readonly signature: Uint8Array;
}

/**
 * Canonicalises a value and signs the canonical bytes. The caller stamps
 * `meta.signedAt` (and `meta.signatureAlgorithm` for P-256) beforehand.
 *
 * @example
 *   const r = signCanonical({ ...revocations, meta: { ...meta, signedAt } }, ciKey);
 */
export function signCanonical(
  value: unknown,
  key: PrivateKey,
): Result<SignedBytes, CanonicalError> {
  const bytes = canonicalBytes(value);
  if (!bytes.ok) return bytes;
  return ok({ canonical: bytes.value, signature: signBytes(bytes.value, key) });
}

/**
 * Mints a bootstrap token: ed25519 over JCS(claims) by the org root key.
 *
 * @example
 *   mintBootstrapToken({ hostname: 'web-01', expectedPubkeyFingerprint, issuedAt, expiresAt, nonce }, orgRoot)
 */
export function mintBootstrapToken(
  claims: BootstrapToken['claims'],
  orgRootKey: PrivateKey,
): Result<BootstrapToken, CanonicalError | KeyError> {
  if (orgRootKey.algorithm !== 'ed25519') {
    return err(
      keyError('UnsupportedKey', 'bootstrap tokens are signed with an ed25519 org root key'),
    );
  }
  const bytes = canonicalBytes(claims);
  if (!bytes.ok) return bytes;
  return ok({
    version: BOOTSTRAP_TOKEN_VERSION,
    claims,
    signature: encodeBase64(signBytes(bytes.value, orgRootKey)),
  });
}
