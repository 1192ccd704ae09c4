// The typed failures of ts/trust. Every error is a value with a stable `code`
// (documented in docs/auditor.md) and a `kind` named after the book's
// VerifyError variants; callers branch on `kind` or `code`, never on `message`.
import type { SchemaIssue } from '../contracts/index.ts';
import type { SignatureAlgorithm } from './algorithms.ts';

export type { SchemaIssue };

/** Context carried by each verification failure, keyed by kind. */
export interface VerifyErrorContext {
  /** The bytes are valid JSON but not their own RFC 8785 form (or not I-JSON). */
  NotCanonical: { readonly offset: number | null };
  /** Not UTF-8/JSON, not an object, or a field the verifier needs is missing or unreadable. */
  Malformed: { readonly detail: string };
  /** The signed value does not satisfy the contract's JSON Schema. */
  SchemaInvalid: { readonly contract: string; readonly issues: readonly SchemaIssue[] };
  /** `schemaVersion` (top level or meta) is not one this verifier accepts. */
  UnsupportedSchemaVersion: { readonly found: unknown; readonly accepted: readonly number[] };
  /** The declared algorithm is unknown, or no active trusted key uses it. */
  AlgorithmMismatch: { readonly declared: string; readonly trusted: readonly SignatureAlgorithm[] };
  /** No active trusted key produced this signature. */
  BadSignature: { readonly keysTried: number; readonly signatureLength: number };
  /** The trust slot has no active key at `now`. */
  NoTrustedKey: { readonly slot: string };
  /** Signed longer ago than the freshness window. */
  Stale: { readonly signedAt: string; readonly ageSecs: number; readonly windowSecs: number };
  /** Signed further in the future than the clock-skew slack allows. */
  FutureDated: {
    readonly signedAt: string;
    readonly aheadSecs: number;
    readonly slackSecs: number;
  };
  /** Signed before the slot's `rejectBefore` compromise cutoff. */
  RejectedBeforeCutoff: { readonly signedAt: string; readonly rejectBefore: string };
  /** The manifest's `<channel>@<channelRef>` is not the id it was fetched under. */
  RolloutIdMismatch: { readonly expected: string; readonly actual: string };
  /** The manifest's `fleetResolvedHash` is not the hash of the fleet.resolved held. */
  AnchorMismatch: { readonly expected: string; readonly actual: string };
  /** A bootstrap token past its `expiresAt`. */
  Expired: { readonly expiresAt: string };
  /** A bootstrap token whose claims name another host or key than expected. */
  ClaimMismatch: { readonly claim: string; readonly expected: string; readonly actual: string };
}

/** The kinds of verification failure. */
export type VerifyErrorKind = keyof VerifyErrorContext;

/** Stable error code of every verification failure kind. */
export const VERIFY_ERROR_CODES = {
  NotCanonical: 'TRUST_ERR_NOT_CANONICAL',
  Malformed: 'TRUST_ERR_MALFORMED',
  SchemaInvalid: 'TRUST_ERR_SCHEMA_INVALID',
  UnsupportedSchemaVersion: 'TRUST_ERR_UNSUPPORTED_SCHEMA_VERSION',
  AlgorithmMismatch: 'TRUST_ERR_ALGORITHM_MISMATCH',
  BadSignature: 'TRUST_ERR_BAD_SIGNATURE',
  NoTrustedKey: 'TRUST_ERR_NO_TRUSTED_KEY',
  Stale: 'TRUST_ERR_STALE',
  FutureDated: 'TRUST_ERR_FUTURE_DATED',
  RejectedBeforeCutoff: 'TRUST_ERR_REJECTED_BEFORE_CUTOFF',
  RolloutIdMismatch: 'TRUST_ERR_ROLLOUT_ID_MISMATCH',
  AnchorMismatch: 'TRUST_ERR_ANCHOR_MISMATCH',
  Expired: 'TRUST_ERR_EXPIRED',
  ClaimMismatch: 'TRUST_ERR_CLAIM_MISMATCH',
} as const satisfies Record<VerifyErrorKind, string>;

/** A verification failure: discriminated on `kind`, with a human `message`. */
export type VerifyError = {
  [K in VerifyErrorKind]: {
    readonly kind: K;
    readonly code: (typeof VERIFY_ERROR_CODES)[K];
    readonly message: string;
  } & VerifyErrorContext[K];
}[VerifyErrorKind];

/**
 * Builds a verification failure.
 *
 * @example
 *   verifyError('Stale', 'signed 3 days ago', { signedAt, ageSecs: 259200, windowSecs: 86400 })
 */
export function verifyError<K extends VerifyErrorKind>(
  kind: K,
  message: string,
  context: VerifyErrorContext[K],
): VerifyError {
  return { kind, code: VERIFY_ERROR_CODES[kind], message, ...context } as unknown as VerifyError;
}

/** Why a key could not be read. */
export interface KeyError {
  /** `InvalidKey`: malformed bytes or text; `UnsupportedKey`: well-formed but not usable here. */
  readonly kind: 'InvalidKey' | 'UnsupportedKey';
  readonly code: 'TRUST_ERR_INVALID_KEY' | 'TRUST_ERR_UNSUPPORTED_KEY';
  readonly message: string;
}

/**
 * Builds a KeyError.
 *
 * @example
 *   keyError('UnsupportedKey', 'encrypted OpenSSH keys are not supported')
 */
export function keyError(kind: KeyError['kind'], message: string): KeyError {
  return {
    kind,
    code: kind === 'InvalidKey' ? 'TRUST_ERR_INVALID_KEY' : 'TRUST_ERR_UNSUPPORTED_KEY',
    message,
  };
}

/** Why a trust.json could not be loaded. */
export interface TrustConfigError {
  /** `InvalidTrustConfig`: shape or key material wrong; `UnsupportedTrustSchemaVersion`: unknown schemaVersion. */
  readonly kind: 'InvalidTrustConfig' | 'UnsupportedTrustSchemaVersion';
  readonly code: 'TRUST_ERR_INVALID_TRUST_CONFIG' | 'TRUST_ERR_UNSUPPORTED_TRUST_SCHEMA_VERSION';
  readonly message: string;
  readonly issues: readonly SchemaIssue[];
}

/**
 * Builds a TrustConfigError.
 *
 * @example
 *   trustConfigError('InvalidTrustConfig', 'ciReleaseKey.current: not base64')
 */
export function trustConfigError(
  kind: TrustConfigError['kind'],
  message: string,
  options: { readonly issues?: readonly SchemaIssue[] } = {},
): TrustConfigError {
  return {
    kind,
    code:
      kind === 'InvalidTrustConfig'
        ? 'TRUST_ERR_INVALID_TRUST_CONFIG'
        : 'TRUST_ERR_UNSUPPORTED_TRUST_SCHEMA_VERSION',
    message,
    issues: options.issues ?? [],
  };
}
