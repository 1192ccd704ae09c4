// Pacing of new dispatches: a token bucket that bounds how many hosts one
// reconcile tick may dispatch (`--dispatch-chunk`) and how fast dispatches
// are handed out overall (`--dispatch-rate`, hosts per second; 0 = no rate
// limit), with admission control on top: the rate actually used adapts to
// the CP's acknowledgement latency (`--dispatch-max-lag-ms`) by additive
// increase, multiplicative decrease (AIMD). Why: a wave of 9,000 hosts
// planned in one tick used to be applied and committed as one mutator
// command (a ~3 s event-loop stall at 10,000 hosts), and 9,000 agents woken
// at once answer with ~45,000 events within seconds. A fixed rate either
// wastes a fast CP or drowns a slow one, and the earlier on/off admission
// control (full rate, or a trickle while lagging) oscillated: each dispatch
// brings its events seconds later, so by the time the latency signal rose a
// burst was already on its way. AIMD converges on the rate the CP absorbs.
// Only how many dispatches are applied per tick changes: the planner still
// decides which hosts. Pure arithmetic; the caller passes `now` and the lag.

/** Shortest interval between two decreases (one latency spike halves once). */
const DECREASE_EVERY_MS = 250;
/** Interval of additive increases (+1/20 of the configured rate each). */
const INCREASE_EVERY_MS = 100;

/** Token bucket of dispatches with an adaptive rate. */
export class DispatchPacer {
  private tokens: number;
  private last: number | null = null;
  private current: number;
  private lastAdjust: number | null = null;

  /**
   * @param ratePerSec most hosts per second (0: unlimited, chunks only bound the stall)
   * @param chunk most dispatches one tick applies (also the bucket's burst)
   * @param maxLagMs acknowledgement latency above which the rate is halved (0: fixed rate)
   */
  constructor(
    readonly ratePerSec: number,
    readonly chunk: number,
    readonly maxLagMs = 0,
  ) {
    this.tokens = chunk;
    this.current = ratePerSec;
  }

  /** The rate in use now (hosts per second; the configured rate without admission control). */
  rate(): number {
    return this.current;
  }

  /** Lowest adaptive rate: 1/20 of the configured rate, so a slow CP still progresses. */
  private floor(): number {
    return Math.max(1, this.ratePerSec / 20);
  }

  /**
   * Feeds the latest acknowledgement latency: above `maxLagMs` the rate
   * halves (at most every 250 ms), otherwise it grows by 1/20 of the
   * configured rate every 100 ms, up to that rate.
   */
  observe(lagMs: number, now: number): void {
    if (this.ratePerSec <= 0 || this.maxLagMs <= 0) return;
    const since = this.lastAdjust === null ? Number.POSITIVE_INFINITY : now - this.lastAdjust;
    if (lagMs > this.maxLagMs) {
      if (since >= DECREASE_EVERY_MS) {
        this.current = Math.max(this.floor(), this.current / 2);
        this.lastAdjust = now;
      }
    } else if (since >= INCREASE_EVERY_MS) {
      const steps = Number.isFinite(since) ? Math.floor(since / INCREASE_EVERY_MS) : 1;
      this.current = Math.min(this.ratePerSec, this.current + (steps * this.ratePerSec) / 20);
      this.lastAdjust = now;
    }
  }

  /** Dispatches the tick starting at `now` may apply. */
  budget(now: number): number {
    if (this.ratePerSec <= 0) return this.chunk;
    if (this.last !== null) {
      this.tokens = Math.min(this.chunk, this.tokens + ((now - this.last) / 1000) * this.current);
    }
    this.last = now;
    return Math.min(this.chunk, Math.floor(this.tokens));
  }

  /** Records `n` dispatches applied. */
  take(n: number): void {
    if (this.ratePerSec > 0) this.tokens -= n;
  }

  /**
   * Delay before the follow-up tick when `left` dispatches were held back:
   * immediately (next turn of the event loop) without a rate, otherwise
   * when 1/20 s worth of tokens at the current rate (at least one) is
   * available, so dispatches go out in small, evenly spaced steps rather
   * than bursts: the agents a step wakes answer together, and 25 answers
   * queue far less than 125. A step releases the held plan (O(step)), so
   * steps are cheap.
   */
  followUpMs(left: number): number {
    if (this.ratePerSec <= 0) return 0;
    const step = Math.max(1, Math.min(left, this.chunk, Math.ceil(this.current / 20)));
    const missing = Math.max(0, step - this.tokens);
    return Math.ceil((missing / this.current) * 1000);
  }
}
