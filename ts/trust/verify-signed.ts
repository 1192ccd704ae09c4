// The one verification pipeline for CI-signed artifacts (fleet.resolved,
// rollout manifests, revocations, bootstrap nonces). Book: verify_artifact /
// SignedSidecar; CONTRACTS.md "Signatures and keys". The order is fixed and
// each step only runs when the previous one passed:
//
//   parse → re-canonicalise and require byte equality → declared algorithm
//   matches an active trusted key → signature → freshness (age ≤ window;
//   future-dated beyond the clock-skew slack refused) → rejectBefore →
//   schemaVersion → schema validation
//
// Pure: `now` is a parameter; bytes in, typed result out.
import type { ContractName, ContractTypes } from '../contracts/index.ts';
import { canonicalize, parseJsonBytes, sha256Hex } from './canonical.ts';
import { encodeUtf8 } from './encoding.ts';
import { verifyError, type VerifyError } from './errors.ts';
import { isSignatureAlgorithm, type SignatureAlgorithm } from './keys.ts';
import { err, ok, type Result } from './result.ts';
import { checkContract } from './schema.ts';
import { verifyBytes } from './signature.ts';
import { parseTimestamp } from './time.ts';
import { activeKeysAt, type KeyRole, type TrustConfig, type TrustSlot } from './trust-config.ts';

/** Symmetric tolerance for clock drift between signer and verifier (contracts §I.7). */
export const CLOCK_SKEW_SLACK_SECS = 60;

/** `schemaVersion` values this verifier accepts for signed artifacts. */
export const ACCEPTED_SCHEMA_VERSIONS: readonly number[] = [1];

/** Options shared by every CI-signed artifact verifier. */
export interface VerifyOptions {
  /** Parsed trust.json; the `ciReleaseKey` slot verifies. */
  readonly trust: TrustConfig;
  /** The instant of verification. */
  readonly now: Date;
  /**
   * Maximum accepted `now − meta.signedAt`, in seconds (fleet.resolved
   * channels declare it in minutes: multiply by 60).
   */
  readonly freshnessWindowSecs: number;
  /** How far in the future `signedAt` may lie (default {@link CLOCK_SKEW_SLACK_SECS}). */
  readonly clockSkewSlackSecs?: number;
}

/** A verified artifact and the facts established while verifying it. */
export interface Verified<T> {
  readonly value: T;
  /** Lowercase hex SHA-256 of the verified canonical bytes (e.g. fleetResolvedHash). */
  readonly sha256: string;
  /** `meta.signedAt` as it appears in the artifact. */
  readonly signedAt: string;
  readonly algorithm: SignatureAlgorithm;
  /** Which key of the slot verified, and its fingerprint. */
  readonly signer: { readonly role: KeyRole; readonly fingerprint: string };
}

/** Outcome of a verifier. */
export type VerifyResult<T> = Result<Verified<T>, VerifyError>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Byte offset of the first difference between two strings' UTF-8 forms. */
function firstDifference(a: string, b: string): number {
  const x = encodeUtf8(a);
  const y = encodeUtf8(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return n;
}

/** Steps 1–2: the value behind canonical bytes, or why the bytes are not canonical JSON. */
export function parseCanonical(
  bytes: Uint8Array,
  label: string,
): Result<Record<string, unknown>, VerifyError> {
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok) {
    return err(
      verifyError('Malformed', `${label}: ${parsed.error.message}`, {
        detail: parsed.error.message,
      }),
    );
  }
  const { text, value } = parsed.value;
  if (!isRecord(value)) {
    return err(
      verifyError('Malformed', `${label}: top level is not a JSON object`, {
        detail: 'not an object',
      }),
    );
  }
  const canonical = canonicalize(value);
  if (!canonical.ok) {
    return err(
      verifyError('NotCanonical', `${label}: ${canonical.error.message}`, { offset: null }),
    );
  }
  if (canonical.value !== text) {
    const offset = firstDifference(text, canonical.value);
    return err(
      verifyError(
        'NotCanonical',
        `${label}: bytes are not RFC 8785 canonical JSON (first difference at byte ${offset})`,
        {
          offset,
        },
      ),
    );
  }
  return ok(value);
}

/** Step 5: freshness of a signing timestamp. */
export function checkFreshness(
  signedAtText: string,
  signedAt: number,
  options: {
    readonly now: Date;
    readonly windowSecs: number;
    readonly slackSecs: number;
    readonly label: string;
  },
): VerifyError | null {
  const ageMs = options.now.getTime() - signedAt;
  if (ageMs < -options.slackSecs * 1000) {
    const aheadSecs = Math.floor(-ageMs / 1000);
    return verifyError(
      'FutureDated',
      `${options.label}: signed at ${signedAtText}, ${aheadSecs} s in the future (clock-skew slack ${options.slackSecs} s)`,
      { signedAt: signedAtText, aheadSecs, slackSecs: options.slackSecs },
    );
  }
  if (ageMs > options.windowSecs * 1000) {
    const ageSecs = Math.floor(ageMs / 1000);
    return verifyError(
      'Stale',
      `${options.label}: signed at ${signedAtText}, ${ageSecs} s ago, beyond the freshness window of ${options.windowSecs} s`,
      { signedAt: signedAtText, ageSecs, windowSecs: options.windowSecs },
    );
  }
  return null;
}

/** Step 6: the slot's compromise cutoff. */
export function checkRejectBefore(
  signedAtText: string,
  signedAt: number,
  options: { readonly slot: TrustSlot; readonly label: string },
): VerifyError | null {
  const cutoff = options.slot.rejectBefore;
  if (cutoff === null || signedAt >= cutoff.at) return null;
  return verifyError(
    'RejectedBeforeCutoff',
    `${options.label}: signed at ${signedAtText}, before ${options.slot.name}.rejectBefore ${cutoff.text}`,
    { signedAt: signedAtText, rejectBefore: cutoff.text },
  );
}

/**
 * Verifies a CI-signed artifact against the `ciReleaseKey` slot and validates
 * it against `contract`. The building block of verifyArtifact and friends.
 *
 * @example
 *   verifySignedArtifact(bytes, sig, { ...options, contract: 'revocations', label: 'revocations.json' })
 */
export function verifySignedArtifact<N extends ContractName>(
  bytes: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions & { readonly contract: N; readonly label: string },
): VerifyResult<ContractTypes[N]> {
  const { label, now, trust } = options;
  const slot = trust.ciReleaseKey;

  const parsed = parseCanonical(bytes, label);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  const meta = value['meta'];
  if (!isRecord(meta)) {
    return err(
      verifyError('Malformed', `${label}: meta is missing or not an object`, { detail: 'meta' }),
    );
  }

  // Step 3: the declared algorithm (absent ⇒ ed25519) must be that of an active key.
  const declared = meta['signatureAlgorithm'] ?? 'ed25519';
  const active = activeKeysAt(slot, now);
  if (active.length === 0) {
    return err(
      verifyError('NoTrustedKey', `${label}: ${slot.name} has no active key at this time`, {
        slot: slot.name,
      }),
    );
  }
  const trusted = [...new Set(active.map((k) => k.key.algorithm))];
  const candidates = isSignatureAlgorithm(declared)
    ? active.filter((k) => k.key.algorithm === declared)
    : [];
  if (!isSignatureAlgorithm(declared) || candidates.length === 0) {
    return err(
      verifyError(
        'AlgorithmMismatch',
        `${label}: meta.signatureAlgorithm ${JSON.stringify(declared)} does not match any active ${slot.name} key (${trusted.join(', ')})`,
        { declared: String(declared), trusted },
      ),
    );
  }

  // Step 4: signature over the exact (canonical) bytes.
  const signer = candidates.find((k) => verifyBytes(bytes, signature, k.key));
  if (!signer) {
    return err(
      verifyError(
        'BadSignature',
        `${label}: signature does not verify under any active ${slot.name} ${declared} key` +
          (signature.length === 64 ? '' : ` (signature is ${signature.length} bytes, expected 64)`),
        { keysTried: candidates.length, signatureLength: signature.length },
      ),
    );
  }

  // Steps 5–6: freshness, then the compromise cutoff.
  const signedAtText = meta['signedAt'];
  const signedAt = typeof signedAtText === 'string' ? parseTimestamp(signedAtText) : null;
  if (typeof signedAtText !== 'string' || signedAt === null) {
    return err(
      verifyError(
        'Malformed',
        `${label}: meta.signedAt is missing or not an RFC 3339 UTC timestamp`,
        {
          detail: 'meta.signedAt',
        },
      ),
    );
  }
  const slackSecs = options.clockSkewSlackSecs ?? CLOCK_SKEW_SLACK_SECS;
  const fresh = checkFreshness(signedAtText, signedAt, {
    now,
    windowSecs: options.freshnessWindowSecs,
    slackSecs,
    label,
  });
  if (fresh) return err(fresh);
  const cutoff = checkRejectBefore(signedAtText, signedAt, { slot, label });
  if (cutoff) return err(cutoff);

  // Step 7: schemaVersion, top level and meta, before the schema (which only knows v1).
  for (const [where, found] of [
    ['schemaVersion', value['schemaVersion']],
    ['meta.schemaVersion', meta['schemaVersion']],
  ] as const) {
    if (typeof found !== 'number' || !ACCEPTED_SCHEMA_VERSIONS.includes(found)) {
      return err(
        verifyError(
          'UnsupportedSchemaVersion',
          `${label}: ${where} ${JSON.stringify(found) ?? 'absent'} is not accepted (accepted: ${ACCEPTED_SCHEMA_VERSIONS.join(', ')})`,
          { found: found ?? null, accepted: ACCEPTED_SCHEMA_VERSIONS },
        ),
      );
    }
  }

  // Step 8: the contract's schema (unknown extra fields are accepted by open contracts).
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

  return ok({
    value: checked.value,
    sha256: sha256Hex(bytes),
    signedAt: signedAtText,
    algorithm: declared,
    signer: { role: signer.role, fingerprint: signer.key.fingerprint },
  });
}
