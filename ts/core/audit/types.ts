// The auditor's statement (docs/auditor.md): the inputs the shell reads,
// as bytes, and the typed refusals. Nothing here trusts the control plane:
// every input is checked against trust.json or a host key the signed fleet
// declares before it may say anything.
import type { AuditStatement } from '../../contracts/index.ts';

/** One signed file of a release: its exact bytes and raw signature (null: no `.sig`). */
export interface AuditReleaseFile {
  /** Path inside the release directory (`fleet.resolved.json`, `rollouts/<id>.json`, …). */
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array | null;
}

/** One release of the history: a release directory, read from disk or from one git commit. */
export interface AuditRelease {
  /** Where it was read, for messages (`git:<commit>:<dir>`, a directory path). */
  readonly source: string;
  readonly files: readonly AuditReleaseFile[];
}

/** One evidence input: a `{ payload, signature }` file, or an export of rollout events. */
export interface AuditEvidenceFile {
  readonly source: string;
  readonly bytes: Uint8Array;
}

/** Everything `auditStatement` reads; the shell gathers it, the core decides. */
export interface AuditInput {
  readonly host: string;
  /** First and last UTC day, `YYYY-MM-DD`, inclusive. */
  readonly from: string;
  readonly to: string;
  readonly trust: { readonly source: string; readonly bytes: Uint8Array };
  /** When given, trust.json's SHA-256 must be this (the auditor's out-of-band pin). */
  readonly trustSha256?: string;
  readonly releases: readonly AuditRelease[];
  readonly evidence: readonly AuditEvidenceFile[];
}

/** Stable refusal codes (ts/cli/errors.ts, docs/auditor.md). */
export type AuditErrorCode =
  | 'AUDIT_ERR_USAGE'
  | 'AUDIT_ERR_TRUST'
  | 'AUDIT_ERR_RELEASE'
  | 'AUDIT_ERR_RELEASE_KEY'
  | 'AUDIT_ERR_HOST_UNKNOWN'
  | 'AUDIT_ERR_EVIDENCE'
  | 'AUDIT_ERR_EVIDENCE_HOST'
  | 'AUDIT_ERR_EVIDENCE_KEY';

/** A refusal: nothing is stated when any input fails its check. */
export interface AuditError {
  readonly code: AuditErrorCode;
  /** The input that failed (a path, `git:<commit>:<file>`, `<file>#events[3]`). */
  readonly input: string;
  readonly message: string;
  /** What the auditor does next. */
  readonly fix: string;
}

export type { AuditStatement };

/** Builds an {@link AuditError}. */
export const auditError = (
  code: AuditErrorCode,
  input: string,
  message: string,
  fix: string,
): AuditError => ({ code, input, message, fix });
