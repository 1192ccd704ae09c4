// Dispatch pacing: an automatic tick applies at most --dispatch-chunk planned
// dispatches; the rest are planned again on follow-up ticks until every host
// of the wave is dispatched. Explicit ticks are not paced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'c1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([5]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
    flags: { dispatchChunk: '2', dispatchRate: '0', planningWarmupSecs: '0' },
  });
});
afterAll(async () => {
  await t.close();
});

describe('dispatch pacing', () => {
  it('dispatches a wave in chunks through follow-up ticks', async () => {
    for (let i = 0; i < 5; i++) {
      const h = `h-00${i}`;
      expect((await new SimAgent(h, await t.client(h)).heartbeat()).status).toBe(200);
    }
    const first = await t.cp.tick('test', { automatic: true });
    expect(first.actions.filter((a) => a.kind === 'QueueDispatch')).toHaveLength(2);
    expect(first.heldDispatches).toBe(3);
    // Follow-up ticks (scheduled by the pacer, not by this test) dispatch the rest.
    const deadline = Date.now() + 10_000;
    while (t.cp.runtime.state.committedOutbox.size < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(t.cp.runtime.state.committedOutbox.size).toBe(5);
    expect(t.cp.runtime.metrics.dispatchesHeld.get()).toBe(0);
  });
});
