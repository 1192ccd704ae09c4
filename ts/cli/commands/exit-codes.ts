// Exit codes of the `nixfleet` program. Stable: auditors' scripts branch on them.

/**
 * `ok` 0: verified / done. `rejected` 1: a verification failed, or the input
 * is not JSON (canonicalize). `error` 2: bad arguments, unreadable files,
 * unusable trust file or key — nothing was verified.
 */
export const EXIT = { ok: 0, rejected: 1, error: 2 } as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
