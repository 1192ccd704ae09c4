// Retry delays: exponential backoff with jitter (RFC-0003 §5). Pure; the
// random source is a parameter so tests are deterministic.

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Uniform random in [0, 1); defaults to Math.random. */
  readonly random?: () => number;
}

/**
 * Delay before retry number `attempt` (0-based): `min(max, base·2^attempt)`
 * scaled by a jitter factor in [0.5, 1) so a fleet does not retry in step.
 *
 * @example backoffDelay(3, { baseMs: 1000, maxMs: 60_000, random: () => 0 }) === 4000
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.floor(exp * (0.5 + random() / 2)));
}
