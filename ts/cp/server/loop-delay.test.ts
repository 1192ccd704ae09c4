import { describe, expect, it } from 'vitest';
import { watchLoopDelay, type LoopDelayWindow } from './loop-delay.ts';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Block the event loop, as a long tick or GC pause would.
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('event-loop delay watch', () => {
  it('reports a blocked loop as one stall, and its delay in the window', async () => {
    const stalls: number[] = [];
    const windows: LoopDelayWindow[] = [];
    const stop = watchLoopDelay({
      windowMs: 400,
      stallMs: 100,
      onWindow: (w) => windows.push(w),
      onStall: (ms) => stalls.push(ms),
    });
    await sleep(120);
    busy(300);
    await sleep(500);
    stop();
    // Once for the whole block, not once per probe period it covered.
    const ours = stalls.filter((ms) => ms >= 250);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toBeLessThan(2_000);
    const worst = Math.max(...windows.map((w) => w.max));
    expect(worst).toBeGreaterThanOrEqual(200);
    for (const w of windows) expect(w.p50).toBeLessThanOrEqual(w.p99);
  });

  it('an idle loop reports no stall, and stops reporting once stopped', async () => {
    const stalls: number[] = [];
    let windows = 0;
    const stop = watchLoopDelay({
      windowMs: 100,
      // (High: a loaded CI machine may delay a timer by 100 ms on its own.)
      stallMs: 2_000,
      onWindow: () => windows++,
      onStall: (ms) => stalls.push(ms),
    });
    await sleep(350);
    stop();
    const seen = windows;
    expect(seen).toBeGreaterThanOrEqual(1);
    await sleep(250);
    expect(windows).toBe(seen);
    expect(stalls).toEqual([]);
  });
});
