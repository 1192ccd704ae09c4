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

/**
 * Waits until the waker handed to `register` is called or `signal` aborts,
 * whichever comes first. The abort listener is removed on wake-up: the
 * agent's signal lives as long as the process, and a listener left behind
 * per wait would pile up (MaxListenersExceededWarning after 11 waits).
 *
 * @example await wakeOrAbort(signal, (wake) => { this.waiter = wake; });
 */
export function wakeOrAbort(
  signal: AbortSignal,
  register: (wake: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    function done(): void {
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
    register(done);
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
