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
});
