// Event-loop stalls of the CP's main thread (mutator, reconcile) are logged
// as they happen, with what the mutator last did, and exported as
// nixfleet_cp_event_loop_stall_seconds{thread}; the window statistics as
// nixfleet_cp_event_loop_delay_window_seconds. Every request waits out a stall, so
// this is where an operator starts when ingest latency rises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../ts/cp/log.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await startTestCp({
    log: createLogger({
      level: 'warn',
      destination: {
        write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
      },
    }),
  });
});
afterAll(async () => {
  await t.close();
});

describe('CP event-loop stalls', () => {
  it('logs and counts a blocked main thread', async () => {
    await new Promise((r) => setTimeout(r, 150));
    const end = performance.now() + 300;
    while (performance.now() < end) {
      // What a 300 ms reconcile tick or GC pause does to every request.
    }
    await new Promise((r) => setTimeout(r, 150));
    const blocked = lines.filter(
      (l) => l['msg'] === 'event loop blocked' && l['thread'] === 'main',
    );
    expect(blocked.some((l) => (l['ms'] as number) >= 250)).toBe(true);
    expect(blocked[0]).toHaveProperty('mutatorQueue');
    const body = (
      await (await t.anonymous()).request('/metrics', { noProtocol: true })
    ).body.toString();
    const count = /^nixfleet_cp_event_loop_stall_seconds_count\{thread="main"\} (\d+)$/m.exec(body);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(1);
    expect(body).toContain('# TYPE nixfleet_cp_event_loop_delay_window_seconds gauge');
  });
});
