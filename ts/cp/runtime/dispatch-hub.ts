// Long-poll waiters of `/v1/agent/dispatch`: a host's poll returns at once
// when a committed dispatch is queued for it, otherwise it parks until the
// mutator commits one, the hold expires, the client leaves or the CP shuts
// down. Dispatches are handed out until the agent acknowledges them
// (idempotent for the agent, which dedupes by rollout id). Reads committed
// state only.
import type { Dispatch } from '../../contracts/index.ts';
import type { CpMetrics } from '../metrics.ts';
import type { CpState } from './state.ts';

interface Waiter {
  readonly done: (d: Dispatch | null) => void;
}

/** Parked long-polls by hostname. */
export class DispatchHub {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private count = 0;

  constructor(
    private readonly state: CpState,
    private readonly metrics: CpMetrics,
  ) {}

  /**
   * Waits up to `holdMs` for a dispatch for `hostname`.
   *
   * @example const d = await hub.wait('web-01', 60_000, ctx.signal); // null → 204
   */
  wait(hostname: string, holdMs: number, signal: AbortSignal): Promise<Dispatch | null> {
    const ready = this.state.committed.outbox.get(hostname);
    if (ready !== undefined) return Promise.resolve(ready);
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      let set = this.waiters.get(hostname);
      if (!set) this.waiters.set(hostname, (set = new Set()));
      const waiter: Waiter = {
        done: (d) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          const s = this.waiters.get(hostname);
          if (s?.delete(waiter)) {
            this.count -= 1;
            this.metrics.dispatchWaiters.set(this.count);
            if (s.size === 0) this.waiters.delete(hostname);
          }
          resolve(d);
        },
      };
      const onAbort = (): void => waiter.done(null);
      const timer = setTimeout(() => waiter.done(null), holdMs);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
      this.count += 1;
      this.metrics.dispatchWaiters.set(this.count);
    });
  }

  /** Wakes the waiters of a host with its committed dispatch. */
  notify(hostname: string): void {
    const d = this.state.committed.outbox.get(hostname);
    const set = this.waiters.get(hostname);
    if (d === undefined || set === undefined) return;
    for (const w of [...set]) w.done(d);
  }

  /** Releases every waiter with no dispatch (shutdown). */
  releaseAll(): void {
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.done(null);
  }

  /** Open long-polls. */
  size(): number {
    return this.count;
  }
}
