// No promotion without evidence, through the real CP: a canary wave of two
// hosts where one converges with its enforce probe passing and the other
// never enrolls (never sends a heartbeat). The signed policy waits for
// never-seen members indefinitely (the default), so wave 1 is not dispatched
// and the trace names the missing canary. When the canary finally shows up
// and soaks, the rollout moves on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract, type ApiRolloutTrace } from '../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'c0ffee00d15ea5e0c0ffee00d15ea5e0c0ffee00';
const RID = `stable@${COMMIT}`;
let t: TestCp;
const agents = new Map<string, SimAgent>();
const agent = async (h: string): Promise<SimAgent> => {
  let a = agents.get(h);
  if (!a) agents.set(h, (a = new SimAgent(h, await t.client(h))));
  return a;
};

async function trace(): Promise<ApiRolloutTrace> {
  const op = await t.client('operator:test');
  const body = (await op.request(`/v1/rollouts/${RID}/trace`)).json<ApiRolloutTrace>();
  expect(validateContract('api-rollout-trace', body).ok).toBe(true);
  return body;
}

async function converge(host: string): Promise<void> {
  const a = await agent(host);
  const d = await a.poll(0);
  if (d === null) throw new Error(`${host}: no dispatch`);
  expect(await a.activate(d, { enforceProbes: ['alive'] })).toEqual([204, 204, 204, 204, 204, 204]);
  expect(t.cp.runtime.state.record(RID, host)?.state).toBe('Converged');
}

beforeAll(async () => {
  t = await startTestCp({
    release: {
      // h-000, h-001: canaries (wave 0); h-002: wave 1.
      hosts: hostsIn([2, 1]),
      soakMinutes: [0, 0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      evidence: [
        { minSoaked: 1, waitForNeverSeenMinutes: null, allowNoEnforceProbes: false },
        { minSoaked: 1, waitForNeverSeenMinutes: null, allowNoEnforceProbes: false },
      ],
    },
  });
});
afterAll(async () => {
  await t.close();
});

describe('a canary that never enrolls', () => {
  it('holds wave 0 after the other canary soaked, naming the never-seen canary', async () => {
    for (const h of ['h-000', 'h-002'])
      expect((await (await agent(h)).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    await converge('h-000');
    for (const h of ['h-000', 'h-002'])
      expect((await (await agent(h)).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    await t.cp.tick('test');

    expect(t.cp.runtime.state.model.book.rollouts[RID]?.currentWave).toBe(0);
    expect(t.cp.runtime.state.record(RID, 'h-002')).toBeUndefined();
    expect(await (await agent('h-002')).poll(0)).toBeNull();
    const held = (await trace()).decisions.find((d) => d.wave === 0 && d.host === null);
    expect(held).toMatchObject({
      decision: 'hold',
      gate: 'wave-promotion',
      code: 'WAVE_AWAITING_NEVER_SEEN',
    });
    expect(held?.reason).toMatch(/never seen \(no heartbeat ever\): h-001; .*indefinitely/);
    const later = (await trace()).decisions.find((d) => d.host === 'h-002');
    expect(later).toMatchObject({ decision: 'hold', code: 'WAVE_NOT_ACTIVE' });
  });

  it('moves on once the missing canary shows up and soaks, and says what it checked', async () => {
    for (const h of ['h-000', 'h-001', 'h-002'])
      expect((await (await agent(h)).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    await converge('h-001');
    for (const h of ['h-000', 'h-001', 'h-002'])
      expect((await (await agent(h)).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.currentWave).toBe(1);
    const d = await (await agent('h-002')).poll(0);
    expect(d).toMatchObject({ kind: 'Dispatch', rollout_id: RID, wave: 1 });
  });
});
