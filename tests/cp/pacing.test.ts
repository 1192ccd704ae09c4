// Dispatch pacing: an automatic tick applies at most --dispatch-chunk planned
// dispatches; the rest are planned again on follow-up ticks until every host
// of the wave is dispatched. Explicit ticks are not paced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract, type ApiRolloutTrace } from '../../ts/contracts/index.ts';
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
    while (t.cp.runtime.state.committed.outbox.size < 5 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(t.cp.runtime.state.committed.outbox.size).toBe(5);
    expect(t.cp.runtime.metrics.dispatchesHeld.get()).toBe(0);
  });
});

describe('host events of a rollout mid-release', () => {
  let u: TestCp;
  beforeAll(async () => {
    u = await startTestCp({
      release: { hosts: hostsIn([6]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
      // 1 host/s: the held plan outlives the test's own ticks.
      flags: { dispatchChunk: '2', dispatchRate: '1', planningWarmupSecs: '0' },
    });
  });
  afterAll(async () => {
    await u.close();
  });

  it('release held dispatches without replanning; other rollouts and unnamed causes replan in full', async () => {
    for (let i = 0; i < 6; i++) {
      const h = `h-00${i}`;
      expect((await new SimAgent(h, await u.client(h)).heartbeat()).status).toBe(200);
    }
    const ticks = u.cp.runtime.metrics.ticks;
    // (An interval tick: it always records its decisions; event ticks do at most every 2 s.)
    const first = await u.cp.tick('interval', { automatic: true });
    expect(first.heldDispatches).toBeGreaterThan(0);
    const rid = Object.keys(u.cp.runtime.state.model.book.rollouts)[0] as string;

    // The operator sees the held hosts as held by admission control, not as
    // dispatched, and the trace says how many are queued at what rate.
    const op = await u.client('operator:test');
    const trace = (await op.request(`/v1/rollouts/${rid}/trace`)).json<ApiRolloutTrace>();
    expect(validateContract('api-rollout-trace', trace).ok).toBe(true);
    expect(trace.pacing).toEqual({ heldDispatches: first.heldDispatches, dispatchRatePerSec: 1 });
    const paced = trace.decisions.filter((d) => d.code === 'DISPATCH_PACED');
    expect(paced).toHaveLength(first.heldDispatches);
    expect(paced.every((d) => d.decision === 'hold' && d.gate === 'admission-control')).toBe(true);
    expect(paced[0]?.reason).toMatch(
      /^cleared by every gate; held by admission control \(1 of \d+ queued/,
    );
    expect(trace.decisions.filter((d) => d.code === 'DISPATCHED')).toHaveLength(2);

    // Events of the rollout whose dispatches are held: a paced step, not a replan.
    const steps = ticks.get({ trigger: 'paced step' });
    await u.cp.tick('event DispatchAck', { automatic: true, rollouts: new Set([rid]) });
    expect(ticks.get({ trigger: 'event DispatchAck' })).toBe(0);
    // (≥: the pacer's own follow-up may also have stepped meanwhile.)
    expect(ticks.get({ trigger: 'paced step' })).toBeGreaterThanOrEqual(steps + 1);

    // A rollout with nothing held (its wave may have just completed): full replan.
    await u.cp.tick('event Converged', {
      automatic: true,
      rollouts: new Set([rid, 'other@0123abcd']),
    });
    expect(ticks.get({ trigger: 'event Converged' })).toBe(1);

    // A cause that names no rollout (a host came online): full replan.
    await u.cp.tick('host online', { automatic: true });
    expect(ticks.get({ trigger: 'host online' })).toBe(1);
  });
});
