// The auditor's statement, pure (docs/auditor.md): verify a release history,
// trust.json and host-signed evidence, and state per day what a host ran.
export { auditStatement, checkRange, parseDay, AUDIT_MAX_DAYS } from './statement.ts';
export type {
  AuditError,
  AuditErrorCode,
  AuditEvidenceFile,
  AuditInput,
  AuditRelease,
  AuditReleaseFile,
} from './types.ts';
