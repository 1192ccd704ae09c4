// Error vocabulary of the control plane. Owns the stable `CP_ERR_…` codes,
// the HTTP status each one maps to and the JSON body an error becomes on the
// wire. Callers branch on `code`, never on message text. Must never carry
// secrets or raw request bodies in `details`.

import type { ApiError } from '../contracts/index.ts';

/** Every control-plane error code with its HTTP status (one table, one truth). */
export const CP_ERROR_STATUS = {
  /** The `X-Nixfleet-Protocol` header is absent. */
  CP_ERR_PROTOCOL_MISSING: 400,
  /** The `X-Nixfleet-Protocol` header names another major version. */
  CP_ERR_PROTOCOL_UNSUPPORTED: 400,
  /** The request path is not a clean absolute path (traversal, encoding tricks). */
  CP_ERR_BAD_PATH: 400,
  /** The body is not JSON. */
  CP_ERR_MALFORMED_JSON: 400,
  /** The body does not match its contract; `details.issues` names each path. */
  CP_ERR_SCHEMA_INVALID: 400,
  /** A rollout id that does not match `[a-z0-9_-]+@[0-9a-f]+`. */
  CP_ERR_INVALID_ROLLOUT_ID: 400,
  /** A wire timestamp that is not RFC 3339. */
  CP_ERR_TIMESTAMP_INVALID: 400,
  /** The body nests deeper than `--json-max-depth`; refused before parsing. */
  CP_ERR_JSON_TOO_DEEP: 400,
  /** A rollout action without a reason, or with one that is too long or not printable. */
  CP_ERR_REASON_INVALID: 400,
  /** A query parameter with a wrong value. */
  CP_ERR_BAD_QUERY: 400,
  /** The CSR does not parse, is not self-signed correctly or is not ed25519. */
  CP_ERR_CSR_INVALID: 400,
  /** A bootstrap-report event outside the allowlist. */
  CP_ERR_EVENT_NOT_ALLOWED: 400,
  /** An agent event the reducer refuses as inconsistent with the host record. */
  CP_ERR_MISMATCHED_EVENT: 400,
  /** No (valid) client certificate on an mTLS route. */
  CP_ERR_CLIENT_CERT_REQUIRED: 401,
  /** A fleet-CA certificate without the clientAuth extended key usage. */
  CP_ERR_CLIENT_CERT_USAGE: 401,
  /**
   * A forwarded client certificate (`x-nixfleet-forwarded-cert`, sent by a
   * replica) that is not one the client CA vouches for now: malformed,
   * oversized, not signed by the CA, outside its validity dates, without
   * the clientAuth extended key usage, or itself a replica certificate.
   */
  CP_ERR_FORWARDED_CERT_INVALID: 401,
  /** Bootstrap token: bad signature, malformed, unknown version, no org root key. */
  CP_ERR_TOKEN_INVALID: 401,
  /** Bootstrap token past its expiry (token claim or allowlist entry). */
  CP_ERR_TOKEN_EXPIRED: 401,
  /** The certificate CN does not name the host of the request. */
  CP_ERR_CN_MISMATCH: 403,
  /** The certificate was issued before the host's signed revocation. */
  CP_ERR_CERT_REVOKED: 403,
  /** The caller's kind (agent, operator) may not use this route, or not on this resource. */
  CP_ERR_FORBIDDEN: 403,
  /**
   * Forwarding misused: `x-nixfleet-forwarded-cert` from a peer that is not
   * a replica, or a replica's own certificate on an mTLS route without a
   * forwarded client certificate (a replica certificate is no caller).
   */
  CP_ERR_FORWARD_FORBIDDEN: 403,
  /** A rollout action while the signed fleet declares no `operators`: nobody may act (fail closed). */
  CP_ERR_OPERATORS_UNDECLARED: 403,
  /** A rollout action by an operator the signed fleet's `operators` does not name. */
  CP_ERR_OPERATOR_UNKNOWN: 403,
  /** A rollout action the operator's signed role does not allow (viewer; abort and clear need admin). */
  CP_ERR_ROLE_FORBIDDEN: 403,
  /** Token claims name another host or key than the CSR. */
  CP_ERR_TOKEN_CLAIM_MISMATCH: 403,
  /** The token nonce is not in the signed bootstrap-nonces allowlist. */
  CP_ERR_NONCE_NOT_ALLOWED: 403,
  /** Renewal with a key other than the certified one. */
  CP_ERR_KEY_MISMATCH: 403,
  /** Unknown route. */
  CP_ERR_NOT_FOUND: 404,
  /** Rollout id not known to the CP (never adopted, or pruned). */
  CP_ERR_UNKNOWN_ROLLOUT: 404,
  /** Channel not in the verified fleet.resolved. */
  CP_ERR_UNKNOWN_CHANNEL: 404,
  /** Method not served on this route. */
  CP_ERR_METHOD_NOT_ALLOWED: 405,
  /** The request body stalled or took too long (`--body-idle-timeout-secs`, `--body-timeout-secs`). */
  CP_ERR_REQUEST_TIMEOUT: 408,
  /** A rollout action the rollout's state does not allow (abort an ended rollout, resume an aborted one). */
  CP_ERR_ACTION_STATE: 409,
  /** `approve` on a wave whose signed policy says `approval = "auto"`. */
  CP_ERR_APPROVAL_NOT_REQUIRED: 409,
  /** `clear` on a rollout whose signed policy says `operatorClear = false`. */
  CP_ERR_CLEAR_NOT_ALLOWED: 409,
  /** A bootstrap token whose nonce was already used. */
  CP_ERR_TOKEN_REPLAYED: 409,
  /** A Converged (or Reverted) event whose invariants do not hold on the CP side. */
  CP_ERR_INVARIANT_REJECTED: 409,
  /** An agent event that is not legal in the host's recorded state. */
  CP_ERR_ILLEGAL_TRANSITION: 409,
  /** The body exceeds the configured limit. */
  CP_ERR_BODY_TOO_LARGE: 413,
  /** POST without `Content-Type: application/json`. */
  CP_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  /** An HTTP/1.1 request to a route served over HTTP/2 only (HTTP/1.1 serves GET /metrics). */
  CP_ERR_HTTP2_REQUIRED: 426,
  /** Over a per-host budget (events, bootstrap reports); retry after `Retry-After` seconds. */
  CP_ERR_RATE_LIMITED: 429,
  /** Any failure that is a bug; details are logged, not returned. */
  CP_ERR_INTERNAL: 500,
  /** The database refused a write; the request had no effect. */
  CP_ERR_STORAGE: 503,
  /** Signed artifacts have not been verified yet (fresh start). */
  CP_ERR_NOT_READY: 503,
  /** Enrollment needs `--fleet-ca-cert`, `--fleet-ca-key` and a trust file. */
  CP_ERR_ENROLLMENT_DISABLED: 503,
  /** The CP is shutting down. */
  CP_ERR_SHUTTING_DOWN: 503,
  /**
   * This replica does not lead (PostgreSQL replicas): it refuses writes and
   * decisions; `details.leader` names the leader's `--advertise-url` when
   * known. Retry against the leader (agents configured with several CP URLs
   * move on by themselves).
   */
  CP_ERR_NOT_LEADER: 503,
  /**
   * A verified release signed before the one already adopted on a channel
   * (rollback refused; an alert, never a response): the CP keeps the newer
   * release. Fix the release source; a newer release clears it.
   */
  CP_ERR_ARTIFACT_ROLLBACK: 500,
  /**
   * The verify thread ended with a verification in flight: the artifact
   * counts as refused and nothing is adopted (an alert, never a response).
   * The next poll starts a new thread; the log names the cause.
   */
  CP_ERR_VERIFY_THREAD: 500,
  /**
   * A notification sink's last delivery attempt failed (a /healthz alert,
   * never a response): its notifications wait in the outbox and are retried.
   * Fix the sink (reachable, credentials); the next delivery clears it.
   */
  CP_ERR_NOTIFY_SINK: 500,
  /**
   * A notification was given up after `--notify-max-attempts` (a log entry,
   * never a response). The outbox row stays, state `failed`, for audit.
   */
  CP_ERR_NOTIFY_GAVE_UP: 500,
  /** Startup configuration is invalid (flags, files). */
  CP_ERR_CONFIG: 500,
  /** `--strict` refused to start: a required trust input is missing. */
  CP_ERR_STRICT_MODE: 500,
  /**
   * The configuration is valid but the CP cannot start with it: the listen
   * address is in use, a key file exists but cannot be read.
   */
  CP_ERR_START_FAILED: 500,
} as const;

/** A stable control-plane error code. */
export type CpErrorCode = keyof typeof CP_ERROR_STATUS;

/** The JSON body of every error response. */
export interface CpErrorBody extends ApiError {
  readonly error: ApiError['error'] & {
    readonly code: CpErrorCode;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

/**
 * The one error class of ts/cp. `status` comes from {@link CP_ERROR_STATUS};
 * `details` is typed context that is safe to return to the client.
 *
 * @example throw new CpError('CP_ERR_CN_MISMATCH', 'certificate is for web-02', { cn: 'web-02' });
 */
export class CpError extends Error {
  readonly code: CpErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: CpErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>> = {},
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CpError';
    this.code = code;
    this.status = CP_ERROR_STATUS[code];
    this.details = details;
  }

  /** The wire body of this error. */
  toBody(): CpErrorBody {
    // The api-error contract: code, message, status, and schema issues when
    // the request body failed validation.
    const issues = Array.isArray(this.details['issues'])
      ? (this.details['issues'] as { path: string; message: string }[])
      : [];
    return {
      error: {
        code: this.code,
        message: this.message,
        status: this.status,
        issues,
        details: this.details,
      },
    };
  }
}

/** True for a {@link CpError}. */
export function isCpError(e: unknown): e is CpError {
  return e instanceof CpError;
}
