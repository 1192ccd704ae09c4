// Host-signed payloads (probe output, compliance evidence): ed25519 by the
// host's SSH key over the payload's canonical bytes (Boundary contracts §I.4,
// book: evidence.rs verify_canonical_payload). The auditor verifies them
// against the host's OpenSSH public key from fleet.nix, without the CP.
import type { ContractName, ContractTypes } from '../contracts/index.ts';
import { sha256Hex } from './canonical.ts';
import { verifyError, type VerifyError } from './errors.ts';
import type { PublicKey } from './keys.ts';
import { err, ok, type Result } from './result.ts';
import { checkContract } from './schema.ts';
import { verifyBytes } from './signature.ts';
import { ACCEPTED_SCHEMA_VERSIONS, parseCanonical } from './verify-signed.ts';

/** Options of {@link verifySignedPayload}. */
export interface VerifySignedPayloadOptions {
  /** The host's key (parse an `ssh-ed25519 …` line with publicKeyFromOpenSsh). */
  readonly publicKey: PublicKey;
  /** Contract to validate the payload against after the signature (e.g. `probe-payload`). */
  readonly contract?: ContractName;
  /** When given, the payload's `hostname` must equal it (binds payload to key owner). */
  readonly expectedHostname?: string;
}

/** A verified host-signed payload. */
export interface VerifiedPayload<T> {
  readonly value: T;
  /** Lowercase hex SHA-256 of the canonical payload bytes. */
  readonly sha256: string;
  readonly signerFingerprint: string;
}

/**
 * Verifies a host-signed payload: canonical bytes → ed25519 signature under
 * the host key → optional schemaVersion + contract → optional hostname binding.
 *
 * @example
 *   const key = publicKeyFromOpenSsh(fleet.hosts['web-01'].pubkey);
 *   if (key.ok) verifySignedPayload(bytes, sig, { publicKey: key.value, contract: 'probe-payload' });
 */
export function verifySignedPayload<N extends ContractName>(
  payload: Uint8Array,
  signature: Uint8Array,
  options: VerifySignedPayloadOptions & { readonly contract: N },
): Result<VerifiedPayload<ContractTypes[N]>, VerifyError>;
export function verifySignedPayload(
  payload: Uint8Array,
  signature: Uint8Array,
  options: VerifySignedPayloadOptions,
): Result<VerifiedPayload<Record<string, unknown>>, VerifyError>;
export function verifySignedPayload(
  payload: Uint8Array,
  signature: Uint8Array,
  options: VerifySignedPayloadOptions,
): Result<VerifiedPayload<unknown>, VerifyError> {
  const label = 'signed payload';
  const parsed = parseCanonical(payload, label);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  const key = options.publicKey;
  if (key.algorithm !== 'ed25519') {
    return err(
      verifyError(
        'AlgorithmMismatch',
        `${label}: host keys are ed25519, got a ${key.algorithm} key`,
        {
          declared: 'ed25519',
          trusted: [key.algorithm],
        },
      ),
    );
  }
  if (!verifyBytes(payload, signature, key)) {
    return err(
      verifyError(
        'BadSignature',
        `${label}: signature does not verify under host key ${key.fingerprint}`,
        {
          keysTried: 1,
          signatureLength: signature.length,
        },
      ),
    );
  }
  if (options.contract !== undefined) {
    const found = value['schemaVersion'];
    if (typeof found !== 'number' || !ACCEPTED_SCHEMA_VERSIONS.includes(found)) {
      return err(
        verifyError(
          'UnsupportedSchemaVersion',
          `${label}: schemaVersion ${JSON.stringify(found) ?? 'absent'} is not accepted`,
          {
            found: found ?? null,
            accepted: ACCEPTED_SCHEMA_VERSIONS,
          },
        ),
      );
    }
    const checked = checkContract(options.contract, value);
    if (!checked.ok) {
      const first = checked.issues[0];
      return err(
        verifyError(
          'SchemaInvalid',
          `${label}: does not match the ${options.contract} contract` +
            (first ? ` (${first.path}: ${first.message})` : ''),
          { contract: options.contract, issues: checked.issues },
        ),
      );
    }
  }
  if (options.expectedHostname !== undefined && value['hostname'] !== options.expectedHostname) {
    return err(
      verifyError(
        'ClaimMismatch',
        `${label}: hostname is ${JSON.stringify(value['hostname'])}, expected ${JSON.stringify(options.expectedHostname)}`,
        {
          claim: 'hostname',
          expected: options.expectedHostname,
          actual: String(value['hostname']),
        },
      ),
    );
  }
  return ok({
    value,
    sha256: sha256Hex(payload),
    signerFingerprint: key.fingerprint,
  });
}
