import { describe, expect, it } from 'vitest';
import {
  followUpMs,
  initialPacer,
  observeLatency,
  refill,
  takeTokens,
  type PacerConfig,
  type PacerState,
} from './pacer.ts';

const cfg = (ratePerSec: number, chunk: number, maxLagMs = 0, maxIngestMs = 0): PacerConfig => ({
  ratePerSec,
  chunk,
  maxLagMs,
  maxIngestMs,
});

/** Feeds `(lagMs, now, ingestMs?)` observations in order; the rate after each. */
function rates(c: PacerConfig, obs: readonly (readonly [number, number, number?])[]): number[] {
  let s: PacerState = initialPacer(c);
  return obs.map(([lag, now, ingest]) => {
    s = observeLatency(c, s, lag, now, ingest);
    return s.rate;
  });
}

describe('pacer: token bucket', () => {
  it('without a rate, bounds each tick by the chunk and follows up at once', () => {
    const c = cfg(0, 250);
    let s = initialPacer(c);
    expect(refill(c, s, 0).budget).toBe(250);
    s = takeTokens(c, s, 250);
    expect(refill(c, s, 0).budget).toBe(250);
    expect(followUpMs(c, s, 8_750)).toBe(0);
  });

  it('with a rate, refills over time up to the chunk and spaces follow-ups', () => {
    const c = cfg(200, 250);
    let r = refill(c, initialPacer(c), 0);
    expect(r.budget).toBe(250); // a full burst at first
    let s = takeTokens(c, r.state, 250);
    r = refill(c, s, 0);
    expect(r.budget).toBe(0);
    // A twentieth of a second's worth (10 hosts) is due in 50 ms.
    expect(followUpMs(c, r.state, 8_750)).toBe(50);
    r = refill(c, r.state, 50);
    expect(r.budget).toBe(10);
    s = takeTokens(c, r.state, 10);
    r = refill(c, s, 10_000);
    expect(r.budget).toBe(250); // capped at the chunk
    // Fewer hosts left than a step: wait only for those.
    s = takeTokens(c, r.state, 250);
    expect(followUpMs(c, s, 4)).toBe(20);
  });

  it('refills at the adapted rate', () => {
    const c = cfg(400, 50, 20);
    let s = initialPacer(c);
    for (const t of [0, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000]) s = observeLatency(c, s, 500, t);
    expect(s.rate).toBe(20);
    const r = refill(c, s, 6_000);
    s = takeTokens(c, r.state, r.budget);
    expect(refill(c, s, 7_000).budget).toBe(20); // 1 s at 20/s
  });
});

describe('pacer: admission control (AIMD)', () => {
  it.each([
    {
      name: 'halves while acknowledgements lag, at most every second, down to 1/20',
      c: cfg(400, 50, 20),
      obs: [
        [35, 0],
        [35, 500],
        [35, 1_000],
        [500, 2_000],
        [500, 3_000],
        [500, 4_000],
        [500, 5_000],
        [500, 6_000],
      ],
      want: [200, 200, 100, 50, 25, 20, 20, 20],
    },
    {
      name: 'recovers by 1/20 of the rate per 250 ms, counted from the last overload, never above the configured rate',
      c: cfg(400, 50, 20),
      // 600: still over within the hold-off — no change, and the clock of
      // increases restarts; 800: 200 ms after it, not yet; 3,350: 10 steps at once.
      obs: [
        [100, 0],
        [100, 600],
        [5, 800],
        [5, 850],
        [5, 900],
        [5, 3_350],
        [5, 9_000],
        [100, 9_100],
      ],
      want: [200, 200, 200, 220, 220, 400, 400, 200],
    },
    {
      name: 'the edge-measured ingest p90 halves on its own; no window, the mutator alone decides',
      c: cfg(400, 50, 20, 25),
      obs: [
        [5, 0, 30],
        [5, 250],
        [5, 500, 20],
      ],
      want: [200, 220, 240],
    },
    {
      name: 'an ingest signal without an ingest limit is ignored',
      c: cfg(400, 50, 20, 0),
      obs: [[5, 0, 1_000]],
      want: [400],
    },
    {
      name: 'a lag without a lag limit is ignored',
      c: cfg(400, 50, 0, 25),
      obs: [
        [1_000, 0, 10],
        [1_000, 250, 26],
      ],
      want: [400, 200],
    },
    {
      name: 'without any latency limit the rate is fixed',
      c: cfg(400, 50, 0, 0),
      obs: [[10_000, 0, 10_000]],
      want: [400],
    },
  ] as const)('$name', ({ c, obs, want }) => {
    expect(rates(c, obs)).toEqual(want);
  });

  it('without a rate there is nothing to adapt: the chunk bounds every tick', () => {
    const c = cfg(0, 50, 20);
    const s = observeLatency(c, initialPacer(c), 10_000, 0);
    expect(refill(c, s, 0).budget).toBe(50);
  });
});
