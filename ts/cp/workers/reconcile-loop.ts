// The reconcile loop worker: a periodic tick (default 30 s) plus a debounced
// tick after relevant events — events within the debounce window (500 ms)
// collapse into one tick, so a tick follows any event within ≤ 1 s. Owns
// timers only; the tick itself runs in the mutator.
import type { Logger } from '../log.ts';

/** Schedules reconcile ticks. */
export class ReconcileLoop {
  private interval: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private followUp: NodeJS.Timeout | null = null;
  private pendingReason: string | null = null;
  /** Rollouts whose host events asked for the pending tick; `null`: a request named none. */
  private pendingRollouts: Set<string> | null = new Set();
  private running = false;

  constructor(
    private readonly o: {
      readonly intervalMs: number;
      readonly debounceMs: number;
      readonly log: Logger;
      /**
       * Runs one tick (submits it to the mutator). `rollouts`: the only
       * rollouts whose picture changed since the last debounced tick (host
       * events), or undefined when anything may have.
       */
      readonly tick: (trigger: string, rollouts?: ReadonlySet<string>) => Promise<unknown>;
    },
  ) {}

  start(): void {
    this.running = true;
    this.interval = setInterval(() => void this.fire('interval'), this.o.intervalMs);
    this.interval.unref();
  }

  /**
   * Asks for a tick in `ms` (the dispatch pacer's follow-up), bypassing the
   * debounce window; a pending follow-up is not postponed.
   */
  requestIn(reason: string, ms: number): void {
    if (!this.running || this.followUp !== null) return;
    this.followUp = setTimeout(() => {
      this.followUp = null;
      void this.fire(reason);
    }, ms);
  }

  /**
   * Asks for a tick soon; repeated requests within the window collapse (and
   * so do the rollouts they name: a request without one widens the tick to
   * everything).
   */
  request(reason: string, rolloutId?: string): void {
    if (!this.running) return;
    if (rolloutId === undefined) this.pendingRollouts = null;
    else this.pendingRollouts?.add(rolloutId);
    if (this.debounce !== null) return;
    this.pendingReason = reason;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      const rollouts = this.pendingRollouts ?? undefined;
      this.pendingRollouts = new Set();
      void this.fire(this.pendingReason ?? 'event', rollouts);
    }, this.o.debounceMs);
  }

  private async fire(trigger: string, rollouts?: ReadonlySet<string>): Promise<void> {
    try {
      await this.o.tick(trigger, rollouts);
    } catch (e) {
      this.o.log.error({ err: e, trigger }, 'reconcile tick failed');
    }
  }

  stop(): void {
    this.running = false;
    if (this.interval) clearInterval(this.interval);
    if (this.debounce) clearTimeout(this.debounce);
    if (this.followUp) clearTimeout(this.followUp);
    this.interval = null;
    this.debounce = null;
    this.followUp = null;
  }
}

/** Runs `fn` every `ms` until stopped; errors are logged, never thrown. */
export class PeriodicWorker {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly name: string,
    private readonly ms: number,
    private readonly fn: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.ms);
    this.timer.unref();
  }

  async run(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.fn();
    } catch (e) {
      this.log.error({ err: e, worker: this.name }, 'worker run failed');
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
