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
// Two latency signals feed it: the mutator's queue wait (EWMA, submit →
// durable) and the event-ingest latency the edge measures (request headers
// in → reply handed to TLS, which adds the edge's own queueing and GC and
// both thread hops): measured at 10,000 hosts, the mutator stayed under its
// limit while 3 % of events took over 50 ms end to end, and a fixed
// 300/s instead of 500/s brought that to 0.3 %. Only how many dispatches are
// applied per tick changes: the planner still decides which hosts. Pure
// arithmetic; the caller passes `now` and the latencies.

/**
 * Shortest interval between two decreases: about the delay between a
 * dispatch and the bulk of its events (an activation takes seconds), so one
 * overload halves once rather than once per tick while the events of
 * dispatches made before the cut are still arriving.
 */
const DECREASE_EVERY_MS = 1_000;
/**
 * Interval of additive increases (+1/20 of the configured rate each): from
 * half to full rate in 2.5 s, a few feedback delays, so the rate does not
 * overshoot again before the latency of the last increase is seen.
 */
const INCREASE_EVERY_MS = 250;

/** Fewest event latencies a window needs before its percentile is a signal. */
const WINDOW_MIN_SAMPLES = 20;

/**
 * The edge-measured event-ingest latencies since the last look: the 90th
 * percentile of a window is the ingest signal (a single GC pause moves the
 * maximum, queueing moves the bulk).
 */
export class IngestWindow {
  private samples: number[] = [];

  add(ms: number): void {
    // Bounded: a CP that stopped ticking must not accumulate forever.
    if (this.samples.length < 10_000) this.samples.push(ms);
  }

  /** The window's 90th percentile (ms), or undefined if too few samples yet; starts a new window when it answers. */
  take(): number | undefined {
    if (this.samples.length < WINDOW_MIN_SAMPLES) return undefined;
    const s = this.samples.sort((a, b) => a - b);
    this.samples = [];
    return s[Math.floor(0.9 * (s.length - 1))];
  }
}

/** Token bucket of dispatches with an adaptive rate. */
export class DispatchPacer {
  private tokens: number;
  private last: number | null = null;
  private current: number;
  private lastDecrease: number | null = null;
  /** Last increase, or last observation over a limit: increases count from the later. */
  private lastIncrease: number | null = null;

  /**
   * @param ratePerSec most hosts per second (0: unlimited, chunks only bound the stall)
   * @param chunk most dispatches one tick applies (also the bucket's burst)
   * @param maxLagMs mutator queue wait above which the rate is halved (0: not a signal)
   * @param maxIngestMs edge-measured event latency (window p90) above which the rate is halved (0: not a signal)
   */
  constructor(
    readonly ratePerSec: number,
    readonly chunk: number,
    readonly maxLagMs = 0,
    readonly maxIngestMs = 0,
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
   * Feeds the latest latencies: the mutator's queue wait and, when a window
   * of them is in, the edge's event-ingest p90. Either above its limit
   * halves the rate (at most every second); otherwise it grows by 1/20 of
   * the configured rate every 250 ms, up to that rate.
   */
  observe(lagMs: number, now: number, ingestMs?: number): void {
    if (this.ratePerSec <= 0 || (this.maxLagMs <= 0 && this.maxIngestMs <= 0)) return;
    const over =
      (this.maxLagMs > 0 && lagMs > this.maxLagMs) ||
      (this.maxIngestMs > 0 && ingestMs !== undefined && ingestMs > this.maxIngestMs);
    if (over) {
      if (this.lastDecrease === null || now - this.lastDecrease >= DECREASE_EVERY_MS) {
        this.current = Math.max(this.floor(), this.current / 2);
        this.lastDecrease = now;
      }
      // No increase while over, nor one that counts the time spent over.
      this.lastIncrease = now;
      return;
    }
    const since = this.lastIncrease === null ? Number.POSITIVE_INFINITY : now - this.lastIncrease;
    if (since >= INCREASE_EVERY_MS) {
      const steps = Number.isFinite(since) ? Math.floor(since / INCREASE_EVERY_MS) : 1;
      this.current = Math.min(this.ratePerSec, this.current + (steps * this.ratePerSec) / 20);
      this.lastIncrease = now;
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
