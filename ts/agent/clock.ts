// The agent's clock. Owns the only reads of wall time and the cancellable
// sleep every worker uses, so tests inject a fake and shrink timing. Must
// never be bypassed: no Date.now() elsewhere in ts/agent.

/** Wall clock plus cancellable sleep. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` or when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Sleeps `ms` milliseconds; resolves early (without error) when aborted.
 *
 * @example await sleep(1000, controller.signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The real clock. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep,
});

/**
 * A clock whose wall time is shifted by `offsetMs` (tests: a host whose
 * clock runs ahead or behind) while sleeping in real time.
 *
 * @example const skewed = offsetClock(-10 * 60_000);
 */
export function offsetClock(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs, sleep };
}
