import { describe, expect, it } from 'vitest';
import { DispatchPacer, IngestWindow } from './dispatch-pacer.ts';

describe('DispatchPacer', () => {
  it('without a rate, bounds each tick by the chunk and follows up at once', () => {
    const p = new DispatchPacer(0, 250);
    expect(p.budget(0)).toBe(250);
    p.take(250);
    expect(p.budget(0)).toBe(250);
    expect(p.followUpMs(8_750)).toBe(0);
  });

  it('with a rate, refills over time up to the chunk and spaces follow-ups', () => {
    const p = new DispatchPacer(200, 250);
    expect(p.budget(0)).toBe(250); // a full burst at first
    p.take(250);
    expect(p.budget(0)).toBe(0);
    // A twentieth of a second's worth (10 hosts) is due in 50 ms.
    expect(p.followUpMs(8_750)).toBe(50);
    expect(p.budget(50)).toBe(10);
    p.take(10);
    expect(p.budget(10_000)).toBe(250); // capped at the chunk
    // Fewer hosts left than a step: wait only for those.
    p.take(250);
    expect(p.followUpMs(4)).toBe(20);
  });

  it('admission control: halves the rate while acknowledgements lag, at most every second, down to 1/20', () => {
    const p = new DispatchPacer(400, 50, 20);
    expect(p.rate()).toBe(400);
    p.observe(35, 0);
    expect(p.rate()).toBe(200);
    p.observe(35, 500); // the same overload (events of earlier dispatches): no second halving yet
    expect(p.rate()).toBe(200);
    p.observe(35, 1_000);
    expect(p.rate()).toBe(100);
    for (let t = 2_000; t <= 6_000; t += 1_000) p.observe(500, t);
    expect(p.rate()).toBe(20); // the floor: a slow CP still makes progress
    // The bucket refills at the adapted rate: 1 s at 20/s → 20 dispatches.
    p.budget(6_000);
    p.take(p.budget(6_000));
    expect(p.budget(7_000)).toBe(20);
  });

  it('admission control: recovers additively (+1/20 of the rate per 250 ms), counting from the last overload', () => {
    const p = new DispatchPacer(400, 50, 20);
    p.observe(100, 0);
    expect(p.rate()).toBe(200);
    p.observe(100, 600); // still over, within the hold-off: no change, and the clock of increases restarts
    expect(p.rate()).toBe(200);
    p.observe(5, 800); // 200 ms after the last overload: not yet
    expect(p.rate()).toBe(200);
    p.observe(5, 850);
    expect(p.rate()).toBe(220);
    p.observe(5, 900); // < 250 ms later: unchanged
    expect(p.rate()).toBe(220);
    p.observe(5, 3_350); // 10 steps at once
    expect(p.rate()).toBe(400);
    p.observe(5, 9_000);
    expect(p.rate()).toBe(400); // never above the configured rate
    p.observe(100, 9_100); // a new overload more than a second after the last decrease
    expect(p.rate()).toBe(200);
  });

  it('admission control: the edge-measured ingest latency halves the rate on its own', () => {
    const p = new DispatchPacer(400, 50, 20, 25);
    p.observe(5, 0, 30); // mutator fine, events slow end to end
    expect(p.rate()).toBe(200);
    p.observe(5, 250); // no window yet: the mutator's word alone
    expect(p.rate()).toBe(220);
    p.observe(5, 500, 20);
    expect(p.rate()).toBe(240);
    const mutatorOnly = new DispatchPacer(400, 50, 20, 0);
    mutatorOnly.observe(5, 0, 1_000);
    expect(mutatorOnly.rate()).toBe(400);
    const ingestOnly = new DispatchPacer(400, 50, 0, 25);
    ingestOnly.observe(1_000, 0, 10);
    expect(ingestOnly.rate()).toBe(400);
    ingestOnly.observe(1_000, 250, 26);
    expect(ingestOnly.rate()).toBe(200);
  });

  it('ingest window: p90 once 20 samples are in, then a new window', () => {
    const w = new IngestWindow();
    for (let i = 0; i < 19; i++) w.add(i);
    expect(w.take()).toBeUndefined(); // too few: no opinion, and they are kept
    w.add(19);
    expect(w.take()).toBe(17); // 0..19: the 90th percentile
    expect(w.take()).toBeUndefined();
    for (let i = 0; i < 100; i++) w.add(i < 95 ? 1 : 500);
    expect(w.take()).toBe(1); // five slow ones (one GC pause) do not move it
  });

  it('without a latency limit or a rate, the rate is fixed', () => {
    const fixed = new DispatchPacer(400, 50, 0);
    fixed.observe(10_000, 0);
    expect(fixed.rate()).toBe(400);
    const unlimited = new DispatchPacer(0, 50, 20);
    unlimited.observe(10_000, 0);
    expect(unlimited.budget(0)).toBe(50);
  });
});
