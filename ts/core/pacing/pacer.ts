// Rate and burst of new dispatches: a token bucket that bounds how many
// hosts one reconcile tick may dispatch (`--dispatch-chunk`) and how fast
// dispatches are handed out overall (`--dispatch-rate`, hosts per second;
// 0 = no rate limit), with admission control on top: the rate in use adapts
// to the CP's acknowledgement latency by additive increase, multiplicative
// decrease (AIMD). Why: a wave planned and applied in one tick is one long
// mutator command (seconds of event-loop stall at 10,000 hosts), and every
// agent it wakes answers with ~5 events within seconds. A fixed rate either
// wastes a fast CP or drowns a slow one, and on/off control (full rate, or
// a trickle while lagging) oscillates: each dispatch brings its events
// seconds later, so by the time the latency rises a burst is already on its
// way. AIMD converges on the rate the CP absorbs. Two latency signals feed
// it: the mutator's queue wait (submit → durable) and the event-ingest p90
// the edge measures (request headers in → reply handed to TLS, which adds
// the edge's own queueing and GC and both thread hops, which the mutator
// does not see). Owns the arithmetic of rate and tokens only: which hosts
// go is the planner's, when a tick steps or replans is tick-policy.ts's.
// Pure: state in, state out; `now` and the latencies are parameters.
import type { EpochMs } from '../time.ts';

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

/** The pacing flags. */
export interface PacerConfig {
  /** Most hosts per second (0: unlimited, chunks only bound the stall). */
  readonly ratePerSec: number;
  /** Most dispatches one tick applies (also the bucket's burst). */
  readonly chunk: number;
  /** Mutator queue wait above which the rate is halved (0: not a signal). */
  readonly maxLagMs: number;
  /** Edge-measured event latency (window p90) above which the rate is halved (0: not a signal). */
  readonly maxIngestMs: number;
}

/** Token bucket with an adaptive rate. */
export interface PacerState {
  readonly tokens: number;
  /** When the bucket was last refilled. */
  readonly refilledAt: EpochMs | null;
  /** The rate in use (hosts per second; the configured rate without admission control). */
  readonly rate: number;
  readonly lastDecrease: EpochMs | null;
  /** Last increase, or last observation over a limit: increases count from the later. */
  readonly lastIncrease: EpochMs | null;
}

/**
 * A full bucket at the configured rate.
 *
 * @example initialPacer({ ratePerSec: 300, chunk: 50, maxLagMs: 20, maxIngestMs: 25 }).tokens === 50
 */
export function initialPacer(c: PacerConfig): PacerState {
  return {
    tokens: c.chunk,
    refilledAt: null,
    rate: c.ratePerSec,
    lastDecrease: null,
    lastIncrease: null,
  };
}

/** Lowest adaptive rate: 1/20 of the configured rate, so a slow CP still progresses. */
function floorRate(c: PacerConfig): number {
  return Math.max(1, c.ratePerSec / 20);
}

/**
 * Feeds the latest latencies: the mutator's queue wait and, when a window
 * of them is in, the edge's event-ingest p90. Either above its limit
 * halves the rate (at most every second); otherwise it grows by 1/20 of
 * the configured rate every 250 ms, up to that rate.
 *
 * @example observeLatency(c, s, 35, now).rate === s.rate / 2  // maxLagMs 20
 */
export function observeLatency(
  c: PacerConfig,
  s: PacerState,
  lagMs: number,
  now: EpochMs,
  ingestMs?: number,
): PacerState {
  if (c.ratePerSec <= 0 || (c.maxLagMs <= 0 && c.maxIngestMs <= 0)) return s;
  const over =
    (c.maxLagMs > 0 && lagMs > c.maxLagMs) ||
    (c.maxIngestMs > 0 && ingestMs !== undefined && ingestMs > c.maxIngestMs);
  if (over) {
    const cut = s.lastDecrease === null || now - s.lastDecrease >= DECREASE_EVERY_MS;
    // No increase while over, nor one that counts the time spent over.
    return cut
      ? {
          ...s,
          rate: Math.max(floorRate(c), s.rate / 2),
          lastDecrease: now,
          lastIncrease: now,
        }
      : { ...s, lastIncrease: now };
  }
  const since = s.lastIncrease === null ? Number.POSITIVE_INFINITY : now - s.lastIncrease;
  if (since < INCREASE_EVERY_MS) return s;
  const steps = Number.isFinite(since) ? Math.floor(since / INCREASE_EVERY_MS) : 1;
  return {
    ...s,
    rate: Math.min(c.ratePerSec, s.rate + (steps * c.ratePerSec) / 20),
    lastIncrease: now,
  };
}

/**
 * Refills the bucket at `now`: the new state and the dispatches the tick
 * starting then may apply.
 *
 * @example refill(c, initialPacer(c), now).budget === c.chunk
 */
export function refill(
  c: PacerConfig,
  s: PacerState,
  now: EpochMs,
): { readonly state: PacerState; readonly budget: number } {
  if (c.ratePerSec <= 0) return { state: s, budget: c.chunk };
  const tokens =
    s.refilledAt === null
      ? s.tokens
      : Math.min(c.chunk, s.tokens + ((now - s.refilledAt) / 1000) * s.rate);
  return {
    state: { ...s, tokens, refilledAt: now },
    budget: Math.min(c.chunk, Math.floor(tokens)),
  };
}

/**
 * Spends `n` tokens (dispatches applied).
 *
 * @example takeTokens(c, s, 10).tokens === s.tokens - 10
 */
export function takeTokens(c: PacerConfig, s: PacerState, n: number): PacerState {
  return c.ratePerSec > 0 ? { ...s, tokens: s.tokens - n } : s;
}

/**
 * Delay before the follow-up tick when `left` dispatches were held back:
 * immediately (next turn of the event loop) without a rate, otherwise
 * when 1/20 s worth of tokens at the current rate (at least one) is
 * available, so dispatches go out in small, evenly spaced steps rather
 * than bursts: the agents a step wakes answer together, and 25 answers
 * queue far less than 125. A step releases the held plan (O(step)), so
 * steps are cheap.
 *
 * @example followUpMs({ ...c, ratePerSec: 0 }, s, 100) === 0
 */
export function followUpMs(c: PacerConfig, s: PacerState, left: number): number {
  if (c.ratePerSec <= 0) return 0;
  const step = Math.max(1, Math.min(left, c.chunk, Math.ceil(s.rate / 20)));
  const missing = Math.max(0, step - s.tokens);
  return Math.ceil((missing / s.rate) * 1000);
}
