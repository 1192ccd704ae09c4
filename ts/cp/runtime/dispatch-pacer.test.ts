import { describe, expect, it } from 'vitest';
import { DispatchPacer } from './dispatch-pacer.ts';

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

  it('admission control: halves the rate while acknowledgements lag, at most every 250 ms, down to 1/20', () => {
    const p = new DispatchPacer(400, 50, 20);
    expect(p.rate()).toBe(400);
    p.observe(35, 0);
    expect(p.rate()).toBe(200);
    p.observe(35, 100); // same spike: no second halving yet
    expect(p.rate()).toBe(200);
    p.observe(35, 250);
    expect(p.rate()).toBe(100);
    for (let t = 500; t <= 2_000; t += 250) p.observe(500, t);
    expect(p.rate()).toBe(20); // the floor: a slow CP still makes progress
    // The bucket refills at the adapted rate: 1 s at 20/s → 20 dispatches.
    p.budget(2_000);
    p.take(p.budget(2_000));
    expect(p.budget(3_000)).toBe(20);
  });

  it('admission control: recovers additively (+1/20 of the rate per 100 ms) once latency is back', () => {
    const p = new DispatchPacer(400, 50, 20);
    p.observe(100, 0);
    expect(p.rate()).toBe(200);
    p.observe(5, 100);
    expect(p.rate()).toBe(220);
    p.observe(5, 150); // < 100 ms later: unchanged
    expect(p.rate()).toBe(220);
    p.observe(5, 1_100); // 10 steps at once
    expect(p.rate()).toBe(400);
    p.observe(5, 5_000);
    expect(p.rate()).toBe(400); // never above the configured rate
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
