// Exit codes of the `nixfleet` program. Stable: auditors' and operators'
// scripts branch on them (docs/operators.md, docs/auditor.md).

/**
 * `ok` 0: verified / done / the fleet is healthy.
 * `rejected` 1: a verification failed, the input is not JSON (canonicalize),
 * or — for the operator views — the verdict needs attention (status/verdict.ts):
 * a host never seen, offline or failed, a stale artifact, a failed rollout, or
 * (watch) a targeted host that did not converge.
 * `error` 2: bad arguments, missing or malformed config, unreadable files,
 * unusable trust file or key — nothing was checked.
 * `unreachable` 3: the control plane could not be reached (connection,
 * TLS handshake, timeout).
 * `refused` 4: the control plane answered with an error (4xx/5xx).
 * `badResponse` 5: the control plane answered something that is not the
 * contract (not JSON, or a body that violates the schema).
 */
export const EXIT = {
  ok: 0,
  rejected: 1,
  error: 2,
  unreachable: 3,
  refused: 4,
  badResponse: 5,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
