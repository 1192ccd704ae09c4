// Operator actions against a real CP over mTLS: roles from the signed fleet
// (viewer, operator, admin; unknown operators, agents and a fleet without
// operators refused), pause that withholds promotion and dispatch and
// survives a restart, a manual wave approved, abort final, every action an
// event_log row with the operator and the reason, repeats idempotent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { H2Response } from './kit/client.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import { validateContract } from '../../ts/contracts/index.ts';

const COMMIT = 'c1c2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOSTS = ['h-000', 'h-001', 'h-002'];

let t: TestCp;
const agents = new Map<string, SimAgent>();
const agent = async (h: string): Promise<SimAgent> => {
  let a = agents.get(h);
  if (!a) agents.set(h, (a = new SimAgent(h, await t.client(h))));
  return a;
};

async function act(
  cn: string,
  action: string,
  reason = 'db migration running',
  path = `/v1/rollouts/${RID}/actions`,
): Promise<H2Response> {
  const c = await t.client(cn);
  return c.request(path, { method: 'POST', body: { action, reason }, timeoutMs: 10_000 });
}
const codeOf = (r: H2Response): string | undefined =>
  r.json<{ error?: { code?: string } }>().error?.code;

async function heartbeatAll(): Promise<void> {
  for (const h of HOSTS) expect((await (await agent(h)).heartbeat()).status).toBe(200);
}

/** `abortedRollouts` of h-000's heartbeat naming RID and an unknown rollout. */
async function abortedInHeartbeat(): Promise<unknown> {
  const r = await (
    await t.client('h-000')
  ).request('/v1/agent/heartbeat', {
    body: {
      hostname: 'h-000',
      agent_version: '0.2.0',
      current_closure: null,
      uptime_secs: 1,
      last_event_seq_by_rollout: { [RID]: 1, 'stable@ffff': 1 },
      at: rfc3339(),
    },
  });
  expect(r.status).toBe(200);
  const reply: unknown = r.json();
  expect(validateContract('heartbeat-reply', reply).ok).toBe(true);
  return (reply as { abortedRollouts: unknown }).abortedRollouts;
}

async function tickDispatched(): Promise<string[]> {
  await heartbeatAll();
  await t.cp.tick('test');
  const out: string[] = [];
  for (const h of HOSTS) if ((await (await agent(h)).poll(0)) !== null) out.push(h);
  return out;
}

async function decisions(): Promise<{ code: string; host: string | null; reason: string }[]> {
  const r = await (await t.client('operator:alice')).request(`/v1/rollouts/${RID}/trace`);
  return r.json<{ decisions: { code: string; host: string | null; reason: string }[] }>().decisions;
}

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([1, 2]),
      soakMinutes: [0, 0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      approval: ['auto', 'manual'],
      operators: { alice: { role: 'operator' }, root: { role: 'admin' }, vic: { role: 'viewer' } },
    },
  });
});
afterAll(async () => {
  await t?.close();
});

describe('operator actions on a real CP', () => {
  it("opens the channel's first rollout on this database paused by the control plane", async () => {
    expect(await tickDispatched()).toEqual([]);
    const r = t.cp.runtime.state.model.book.rollouts[RID];
    expect(r?.paused?.by).toBe('(control-plane)');
    const held = (await decisions()).find((x) => x.host === 'h-000');
    expect(held?.code).toBe('OPERATOR_PAUSED');
    expect(held?.reason).toContain('paused by the control plane');
    expect((await act('operator:alice', 'resume', 'first start of this CP')).status).toBe(200);
  });

  it('refuses callers the signed fleet does not let act, with typed codes', async () => {
    await heartbeatAll();
    await t.cp.tick('test');
    const viewer = await act('operator:vic', 'pause');
    expect([viewer.status, codeOf(viewer)]).toEqual([403, 'CP_ERR_ROLE_FORBIDDEN']);
    const unknown = await act('operator:mallory', 'pause');
    expect([unknown.status, codeOf(unknown)]).toEqual([403, 'CP_ERR_OPERATOR_UNKNOWN']);
    const agentCert = await act('h-000', 'pause');
    expect([agentCert.status, codeOf(agentCert)]).toEqual([403, 'CP_ERR_FORBIDDEN']);
    const noReason = await act('operator:alice', 'pause', '  ');
    expect([noReason.status, codeOf(noReason)]).toEqual([400, 'CP_ERR_REASON_INVALID']);
    const abortByOperator = await act('operator:alice', 'abort');
    expect([abortByOperator.status, codeOf(abortByOperator)]).toEqual([
      403,
      'CP_ERR_ROLE_FORBIDDEN',
    ]);
    const approveAuto = await act('operator:alice', 'approve');
    expect([approveAuto.status, codeOf(approveAuto)]).toEqual([
      409,
      'CP_ERR_APPROVAL_NOT_REQUIRED',
    ]);
    const clear = await act('operator:root', 'clear');
    expect([clear.status, codeOf(clear)]).toEqual([409, 'CP_ERR_CLEAR_NOT_ALLOWED']);
  });

  it('pauses (idempotently): the converged canary does not promote, nothing is dispatched', async () => {
    const a0 = await agent('h-000');
    const d = await a0.poll(0);
    if (d === null) throw new Error('h-000 was not dispatched');
    const paused = await act('operator:alice', 'pause');
    expect(paused.status).toBe(200);
    expect(paused.json()).toMatchObject({
      outcome: 'applied',
      operator: 'alice',
      state: { paused: { by: 'alice', reason: 'db migration running' } },
    });
    const again = await act('operator:alice', 'pause', 'again', '/v1/channels/stable/actions');
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ outcome: 'already', rolloutId: RID });
    // The host already dispatched finishes while paused.
    expect(await a0.activate(d)).not.toContain(409);
    expect(await tickDispatched()).toEqual([]);
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.currentWave).toBe(0);
    const held = (await decisions()).find((x) => x.host === 'h-001');
    expect(held?.code).toBe('OPERATOR_PAUSED');
    expect(held?.reason).toMatch(/paused by operator:alice \S+ ago: 'db migration running'/);
    const list = await (await t.client('operator:vic')).request('/v1/rollouts');
    const row = list.json<{ rollouts: { rolloutId: string; hold: unknown }[] }>().rollouts[0];
    expect(row?.hold).toMatchObject({
      kind: 'paused',
      by: 'alice',
      reason: 'db migration running',
      next: `nixfleet rollout resume ${RID}`,
    });
    const metrics = (await (await t.anonymous()).request('/metrics')).body.toString();
    expect(metrics).toMatch(
      new RegExp(
        `nixfleet_cp_rollout_hold_seconds\\{channel="stable",hold="paused",rollout="${RID}"\\} \\d+`,
      ),
    );
    expect(metrics).toContain('nixfleet_cp_rollouts_held{hold="paused"} 1');
  });

  it('stays paused across a restart (the pause is in the event log and the rollout record)', async () => {
    await t.restart();
    agents.clear();
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.paused?.by).toBe('alice');
    expect(await tickDispatched()).toEqual([]);
  });

  it('resumes into a manual wave that waits for its approval, then dispatches it', async () => {
    expect((await act('operator:alice', 'resume', 'migration done')).json()).toMatchObject({
      outcome: 'applied',
    });
    expect((await act('operator:alice', 'resume', 'twice')).json()).toMatchObject({
      outcome: 'already',
    });
    expect(await tickDispatched()).toEqual([]);
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.currentWave).toBe(1);
    expect((await decisions()).find((x) => x.host === 'h-001')?.code).toBe('AWAITING_APPROVAL');
    const viewer = await act('operator:vic', 'approve');
    expect(codeOf(viewer)).toBe('CP_ERR_ROLE_FORBIDDEN');
    expect((await act('operator:alice', 'approve', 'canary healthy')).status).toBe(200);
    expect(await tickDispatched()).toEqual(['h-001', 'h-002']);
  });

  it('aborts (admin only, final, idempotent); every action is an event with operator and reason', async () => {
    expect(await abortedInHeartbeat()).toEqual([]);
    expect((await act('operator:root', 'abort', 'bad build')).json()).toMatchObject({
      outcome: 'applied',
      state: { aborted: { by: 'root' } },
    });
    expect((await act('operator:root', 'abort', 'bad build')).json()).toMatchObject({
      outcome: 'already',
    });
    const metrics = (await (await t.anonymous()).request('/metrics')).body.toString();
    expect(metrics).toContain('nixfleet_cp_rollouts_held{hold="aborted"} 1');
    expect(metrics).toContain('nixfleet_cp_rollouts_held{hold="paused"} 0');
    // The heartbeat reply names the aborted rollout, and only rollouts the
    // heartbeat itself names; the agent decides what to do with it.
    expect(await abortedInHeartbeat()).toEqual([RID]);
    const resume = await act('operator:alice', 'resume', 'try again');
    expect([resume.status, codeOf(resume)]).toEqual([409, 'CP_ERR_ACTION_STATE']);
    const r = await (
      await t.client('operator:vic')
    ).request(`/v1/rollouts/${RID}/events?limit=5000`);
    const rows = r.json<{
      events: { kind: string; body: { event: { operator: string; reason: string } } }[];
    }>().events;
    const ops = rows
      .filter((e) => /^Operator|^WaveApproved/.test(e.kind))
      .map((e) => [e.kind, e.body.event.operator, e.body.event.reason]);
    expect(ops).toEqual([
      ['OperatorPaused', '(control-plane)', expect.stringContaining('cannot prove')],
      ['OperatorResumed', 'alice', 'first start of this CP'],
      ['OperatorPaused', 'alice', 'db migration running'],
      ['OperatorResumed', 'alice', 'migration done'],
      ['WaveApproved', 'alice', 'canary healthy'],
      ['OperatorAborted', 'root', 'bad build'],
    ]);
  });
});

describe('a rebuilt database', () => {
  it('reopens the current rollout paused by the control plane until an operator resumes', async () => {
    await t.restart({ wipe: true });
    agents.clear();
    expect(await tickDispatched()).toEqual([]);
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.paused?.by).toBe('(control-plane)');
    expect((await act('operator:alice', 'resume', 'rebuilt after disk loss')).json()).toMatchObject(
      {
        outcome: 'applied',
      },
    );
  });
});

describe('a fleet that declares no operators', () => {
  let bare: TestCp;
  beforeAll(async () => {
    bare = await startTestCp({
      release: { hosts: hostsIn([1]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
    });
  });
  afterAll(async () => {
    await bare?.close();
  });
  it('refuses every action (fail closed)', async () => {
    const c = await bare.client('operator:alice');
    for (const action of ['pause', 'resume', 'abort', 'approve', 'clear']) {
      const r = await c.request(`/v1/rollouts/${RID}/actions`, {
        method: 'POST',
        body: { action, reason: 'x' },
      });
      expect([r.status, codeOf(r)]).toEqual([403, 'CP_ERR_OPERATORS_UNDECLARED']);
    }
  });
});
