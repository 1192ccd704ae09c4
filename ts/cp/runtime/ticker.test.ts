import { describe, expect, it } from 'vitest';
import { IngestWindow } from './ticker.ts';

describe('IngestWindow', () => {
  it('p90 once 20 samples are in; a cleared window starts over', () => {
    const w = new IngestWindow();
    for (let i = 0; i < 19; i++) w.add(i);
    expect(w.p90()).toBeUndefined(); // too few: no opinion, and they are kept
    w.add(19);
    expect(w.p90()).toBe(17); // 0..19: the 90th percentile
    expect(w.p90()).toBe(17); // reading does not consume
    w.clear();
    expect(w.p90()).toBeUndefined();
    for (let i = 0; i < 100; i++) w.add(i < 95 ? 1 : 500);
    expect(w.p90()).toBe(1); // five slow ones (one GC pause) do not move it
  });
});
