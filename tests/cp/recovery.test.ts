// Teardown (book §7 done-criterion 1, disaster-recovery runbook): delete the
// database mid-rollout, restart, and full fleet visibility returns from the
// signed artifacts plus agent heartbeats and replays, with no operator
// action; signed revocations are back before the first request.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostState } from '../../ts/core/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'd1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOSTS = ['h-000', 'h-001', 'h-002', 'h-003', 'h-004', 'h-005'];
let t: TestCp;
const agents = new Map<string, SimAgent>();

async function reconnect(): Promise<void> {
  for (const h of HOSTS) {
    const a = agents.get(h);
    const client = await t.client(h);
    if (a) a.client = client;
    else agents.set(h, new SimAgent(h, client));
  }
}
const agent = (h: string): SimAgent => agents.get(h) as SimAgent;
const statesNow = (): Record<string, HostState | undefined> =>
  Object.fromEntries(HOSTS.map((h) => [h, t.cp.runtime.state.record(RID, h)?.state]));

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([2, 2, 2]),
      soakMinutes: [0, 0, 0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      revocations: [
        {
          hostname: 'h-099',
          notBefore: rfc3339(Date.now() + 86_400_000),
          reason: 'lost',
          revokedBy: 'ops',
        },
      ],
    },
  });
  await reconnect();
});
afterAll(async () => {
  await t.close();
});

describe('wipe the database and restart', () => {
  let before: Record<string, HostState | undefined> = {};

  it('gets a rollout half-way: wave 0 converged, wave 1 converging', async () => {
    for (const h of HOSTS) expect((await agent(h).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    for (const h of ['h-000', 'h-001']) {
      const d = await agent(h).poll(0);
      if (d) await agent(h).activate(d);
    }
    await t.cp.tick('test');
    const d2 = await agent('h-002').poll(0);
    const d3 = await agent('h-003').poll(0);
    if (!d2 || !d3) throw new Error('wave 1 not dispatched');
    await agent('h-002').activate(d2);
    await agent('h-003').activate(d3, { converge: false });
    before = statesNow();
    expect(before).toEqual({
      'h-000': 'Converged',
      'h-001': 'Converged',
      'h-002': 'Converged',
      'h-003': 'Soaking',
      'h-004': undefined,
      'h-005': undefined,
    });
  });

  it('restores revocations, rollout and host states from artifacts, heartbeats and replays', async () => {
    await t.restart({ wipe: true });
    await reconnect();
    // Signed revocations are replayed before the CP serves anything.
    const db = new Database(t.dbPath, { readonly: true });
    expect(db.prepare('SELECT hostname FROM cert_revocations').all()).toEqual([
      { hostname: 'h-099' },
    ]);
    db.close();
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.state).toBe('Opening');
    // One heartbeat round: the CP asks each agent to replay what it lost.
    for (const h of HOSTS) {
      const r = await agent(h).heartbeat();
      expect(r.status).toBe(200);
      const header = r.headers['x-nixfleet-replay-from'] as string | undefined;
      if (agent(h).sent.size > 0) expect(header).toBe(`${RID}=1`);
      const statuses = await agent(h).replay(header);
      expect(statuses.every((s) => s === 204)).toBe(true);
    }
    expect(statesNow()).toEqual(before);
    // A second heartbeat finds nothing to replay.
    const again = await agent('h-000').heartbeat();
    expect(again.headers['x-nixfleet-replay-from']).toBeUndefined();
    // One reconcile cycle: the planner picks up where the rollout was.
    await t.cp.tick('test');
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.currentWave).toBe(1);
    const ops = await t.client('operator:test');
    const hosts = (await ops.request('/v1/hosts')).json<{
      hosts: { hostname: string; reachable: boolean }[];
    }>();
    expect(hosts.hosts.filter((h) => h.reachable)).toHaveLength(6);
  });

  it('finishes the rollout after recovery', async () => {
    const d3 = t.cp.runtime.state.record(RID, 'h-003');
    await agent('h-003').send('Converged', RID, {
      converged_at: rfc3339(),
      current_closure: d3?.targetClosure as string,
    });
    await t.cp.tick('test');
    for (const h of ['h-004', 'h-005']) {
      const d = await agent(h).poll(0);
      expect(d?.wave).toBe(2);
      if (d) await agent(h).activate(d);
    }
    await t.cp.tick('test');
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.state).toBe('Terminal');
    expect(await t.cp.runtime.storage.integrityCheck()).toBe('ok');
  });
});
