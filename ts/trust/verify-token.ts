// Bootstrap tokens (CONTRACTS.md "Enrollment", RFC-0003 §4.3): `{ version: 1,
// claims, signature }` where signature = base64(ed25519 over JCS(claims)) by
// the org root key. The verifier proves the org root signed these claims and
// that they are valid at `now`; replay (nonce allowlist, token_replay) is the
// CP's business.
import type { BootstrapToken } from '../contracts/index.ts';
import { canonicalBytes, parseJsonBytes } from './canonical.ts';
import { decodeBase64Strict } from './encoding.ts';
import { verifyError, type VerifyError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import { checkContract } from './schema.ts';
import { verifyBytes } from './signature.ts';
import { parseTimestamp } from './time.ts';
import { activeKeysAt, type KeyRole, type TrustConfig } from './trust-config.ts';
import { CLOCK_SKEW_SLACK_SECS, checkRejectBefore } from './verify-signed.ts';

/** The bootstrap-token format version this verifier reads. */
export const BOOTSTRAP_TOKEN_VERSION = 1;

/** Options of {@link verifyBootstrapToken}. */
export interface VerifyBootstrapTokenOptions {
  /** Parsed trust.json; the `orgRootKey` slot verifies. */
  readonly trust: TrustConfig;
  readonly now: Date;
  /** How far in the future `issuedAt` may lie (default 60 s). */
  readonly clockSkewSlackSecs?: number;
  /** When given, `claims.hostname` must equal it. */
  readonly expectedHostname?: string;
  /** When given (fingerprint of the CSR key), `claims.expectedPubkeyFingerprint` must equal it. */
  readonly expectedPubkeyFingerprint?: string;
}

/** A verified token with the org-root key that signed it. */
export interface VerifiedToken {
  readonly token: BootstrapToken;
  readonly signer: { readonly role: KeyRole; readonly fingerprint: string };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const malformed = (detail: string): VerifyError =>
  verifyError('Malformed', `bootstrap token: ${detail}`, { detail });

/**
 * Verifies a bootstrap token (file bytes or an already-parsed value, e.g. the
 * `token` of an enroll request). Order: shape → version → org-root key →
 * signature over JCS(claims) → issuedAt not future-dated → not expired →
 * rejectBefore → schema → expected hostname / key fingerprint.
 *
 * @example
 *   const r = verifyBootstrapToken(body.token, { trust, now, expectedPubkeyFingerprint: fingerprintRaw(csrKey) });
 */
export function verifyBootstrapToken(
  token: Uint8Array | unknown,
  options: VerifyBootstrapTokenOptions,
): Result<VerifiedToken, VerifyError> {
  let value: unknown = token;
  if (token instanceof Uint8Array) {
    const parsed = parseJsonBytes(token);
    if (!parsed.ok) return err(malformed(parsed.error.message));
    value = parsed.value.value;
  }
  if (!isRecord(value)) return err(malformed('not a JSON object'));
  if (value['version'] !== BOOTSTRAP_TOKEN_VERSION) {
    return err(
      verifyError(
        'UnsupportedSchemaVersion',
        `bootstrap token: version ${JSON.stringify(value['version']) ?? 'absent'} is not supported (expected ${BOOTSTRAP_TOKEN_VERSION})`,
        { found: value['version'] ?? null, accepted: [BOOTSTRAP_TOKEN_VERSION] },
      ),
    );
  }
  const claims = value['claims'];
  if (!isRecord(claims)) return err(malformed('claims is missing or not an object'));
  const sigText = value['signature'];
  const signature = typeof sigText === 'string' ? decodeBase64Strict(sigText) : null;
  if (signature === null) return err(malformed('signature is missing or not standard base64'));

  const slot = options.trust.orgRootKey;
  const active = slot ? activeKeysAt(slot, options.now) : [];
  if (!slot || active.length === 0) {
    return err(
      verifyError('NoTrustedKey', 'bootstrap token: orgRootKey has no active key at this time', {
        slot: 'orgRootKey',
      }),
    );
  }
  // The token format fixes ed25519; an org root declared as P-256 cannot have signed it.
  const candidates = active.filter((k) => k.key.algorithm === 'ed25519');
  if (candidates.length === 0) {
    return err(
      verifyError(
        'AlgorithmMismatch',
        'bootstrap token: tokens are ed25519-signed but no active orgRootKey is ed25519',
        {
          declared: 'ed25519',
          trusted: [...new Set(active.map((k) => k.key.algorithm))],
        },
      ),
    );
  }
  const message = canonicalBytes(claims);
  if (!message.ok)
    return err(
      verifyError('NotCanonical', `bootstrap token: claims ${message.error.message}`, {
        offset: null,
      }),
    );
  const signer = candidates.find((k) => verifyBytes(message.value, signature, k.key));
  if (!signer) {
    return err(
      verifyError(
        'BadSignature',
        'bootstrap token: signature does not verify under any active orgRootKey',
        {
          keysTried: candidates.length,
          signatureLength: signature.length,
        },
      ),
    );
  }

  const issuedText = claims['issuedAt'];
  const expiresText = claims['expiresAt'];
  const issuedAt = typeof issuedText === 'string' ? parseTimestamp(issuedText) : null;
  const expiresAt = typeof expiresText === 'string' ? parseTimestamp(expiresText) : null;
  if (typeof issuedText !== 'string' || issuedAt === null)
    return err(malformed('claims.issuedAt is not an RFC 3339 UTC timestamp'));
  if (typeof expiresText !== 'string' || expiresAt === null)
    return err(malformed('claims.expiresAt is not an RFC 3339 UTC timestamp'));
  const now = options.now.getTime();
  const slackSecs = options.clockSkewSlackSecs ?? CLOCK_SKEW_SLACK_SECS;
  if (issuedAt - now > slackSecs * 1000) {
    const aheadSecs = Math.floor((issuedAt - now) / 1000);
    return err(
      verifyError(
        'FutureDated',
        `bootstrap token: issued at ${issuedText}, ${aheadSecs} s in the future`,
        {
          signedAt: issuedText,
          aheadSecs,
          slackSecs,
        },
      ),
    );
  }
  // Slack only excuses timestamps that look early; an expiry is never extended.
  if (now >= expiresAt) {
    return err(
      verifyError('Expired', `bootstrap token: expired at ${expiresText}`, {
        expiresAt: expiresText,
      }),
    );
  }
  const cutoff = checkRejectBefore(issuedText, issuedAt, { slot, label: 'bootstrap token' });
  if (cutoff) return err(cutoff);

  const checked = checkContract('bootstrap-token', value);
  if (!checked.ok) {
    const first = checked.issues[0];
    return err(
      verifyError(
        'SchemaInvalid',
        'bootstrap token: does not match the bootstrap-token contract' +
          (first ? ` (${first.path}: ${first.message})` : ''),
        { contract: 'bootstrap-token', issues: checked.issues },
      ),
    );
  }
  const verified = checked.value;
  for (const [claim, expected, actual] of [
    ['hostname', options.expectedHostname, verified.claims.hostname],
    [
      'expectedPubkeyFingerprint',
      options.expectedPubkeyFingerprint,
      verified.claims.expectedPubkeyFingerprint,
    ],
  ] as const) {
    if (expected !== undefined && expected !== actual) {
      return err(
        verifyError(
          'ClaimMismatch',
          `bootstrap token: claims.${claim} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
          {
            claim,
            expected,
            actual,
          },
        ),
      );
    }
  }
  return ok({
    token: verified,
    signer: { role: signer.role, fingerprint: signer.key.fingerprint },
  });
}
