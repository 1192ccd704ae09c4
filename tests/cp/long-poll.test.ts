// Long-poll holds are jittered (up to 20 % early): a fleet that connected
// together — every CP restart — must not keep expiring its 204s in one
// burst each hold period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;
beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([12]),
      soakMinutes: [0],
      ciCommit: 'c0ffee0123456789abcdef0123456789abcdef01',
      signedAt: rfc3339(),
    },
  });
});
afterAll(async () => {
  await t.close();
});

describe('long-poll holds', () => {
  it('end with 204 within [80 %, 100 %] of the asked hold, not all at the same moment', async () => {
    const agents = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const h = `h-${String(i).padStart(3, '0')}`;
        return new SimAgent(h, await t.client(h));
      }),
    );
    const started = performance.now();
    const ends = await Promise.all(
      agents.map(async (a) => {
        expect(await a.poll(3)).toBeNull();
        return performance.now() - started;
      }),
    );
    // Generous bounds: a loaded machine only adds delay.
    for (const ms of ends) {
      expect(ms).toBeGreaterThanOrEqual(2_350);
      expect(ms).toBeLessThan(6_000);
    }
    // 12 uniform draws over 600 ms all within 30 ms of each other: p < 1e-9.
    expect(Math.max(...ends) - Math.min(...ends)).toBeGreaterThan(30);
  });

  it('a client that gives up on its long-poll frees the parked waiter at once', async () => {
    const c = await t.client('h-000');
    const hub = t.cp.runtime.hub;
    const before = hub.size();
    // The client cancels (RST_STREAM) after 300 ms of a 30 s hold.
    await expect(c.request('/v1/agent/dispatch?wait=30', { timeoutMs: 300 })).rejects.toThrow(
      /timeout/,
    );
    for (let i = 0; i < 100 && hub.size() > before; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(hub.size()).toBe(before);
    // The CP still serves the same session.
    expect((await c.request('/v1/whoami')).status).toBe(200);
    c.close();
  });
});
