// A rollout end to end through the real CP: heartbeats bring hosts online,
// the planner (ts/core) dispatches wave 0 over the long-poll, agent events
// drive the host reducer, wave 1 is promoted, the rollout ends Terminal.
// Checks the event_log ↔ derived-view back-references and that replaying
// the event log through ts/core reproduces the CP's state.
import Database from 'better-sqlite3';
import { validateContract } from '../../ts/contracts/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay, type LogEntry } from '../../ts/core/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'b1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;
const agents = new Map<string, SimAgent>();
const agent = async (h: string): Promise<SimAgent> => {
  let a = agents.get(h);
  if (!a) agents.set(h, (a = new SimAgent(h, await t.client(h))));
  return a;
};

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([1, 2]), soakMinutes: [0, 0], ciCommit: COMMIT, signedAt: rfc3339() },
  });
});
afterAll(async () => {
  await t.close();
});

describe('a two-wave rollout', () => {
  it('dispatches wave 0 after heartbeats, over a parked long-poll', async () => {
    // The startup tick ran in warm-up: the rollout is open, nothing dispatched.
    expect(t.cp.runtime.state.model.book.rollouts[RID]?.state).toBe('Opening');
    expect(t.cp.runtime.state.outbox.size).toBe(0);
    const a0 = await agent('h-000');
    const parked = a0.poll(20);
    for (const h of ['h-000', 'h-001', 'h-002'])
      expect((await (await agent(h)).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    const d = await parked;
    expect(d).toMatchObject({ kind: 'Dispatch', rollout_id: RID, wave: 0, seq: 1 });
    expect(d?.target_closure).toBe(
      t.release?.manifests.get(RID)?.hostSet.find((h) => h.hostname === 'h-000')?.targetClosure,
    );
    expect(await (await agent('h-001')).poll(0)).toBeNull();
  });

  it('acknowledges events only after commit, dedupes retries, refuses a false Converged (409)', async () => {
    const a0 = await agent('h-000');
    const d = await a0.poll(0);
    if (d === null) throw new Error('no dispatch');
    const statuses = await a0.activate(d, { converge: false });
    expect(statuses).toEqual([204, 204, 204, 204]);
    // Retry of seq 2 (DispatchAck): deduplicated, still 204.
    const retry = await a0.send(
      'DispatchAck',
      RID,
      { received_at: rfc3339(), current_closure_at_dispatch: null },
      { seq: 2 },
    );
    expect(retry.status).toBe(204);
    const wrong = await a0.send('Converged', RID, {
      converged_at: rfc3339(),
      current_closure: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-other',
    });
    expect(wrong.status).toBe(409);
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_INVARIANT_REJECTED');
    const ok = await a0.send('Converged', RID, {
      converged_at: rfc3339(),
      current_closure: d.target_closure,
    });
    expect(ok.status).toBe(204);
    expect(t.cp.runtime.state.record(RID, 'h-000')?.state).toBe('Converged');
    // The acknowledged dispatch left the outbox.
    expect(await a0.poll(0)).toBeNull();
  });

  it('refuses events for unknown rollouts (404) and illegal transitions (409)', async () => {
    const a1 = await agent('h-001');
    const unknown = await a1.send(
      'DispatchAck',
      'stable@ffff',
      { received_at: rfc3339(), current_closure_at_dispatch: null },
      { seq: 2 },
    );
    expect(unknown.status).toBe(404);
    const early = await a1.send(
      'Converged',
      RID,
      { converged_at: rfc3339(), current_closure: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-x' },
      { seq: 9 },
    );
    expect(early.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_ILLEGAL_TRANSITION');
    expect(early.status).toBe(409);
  });

  it('promotes wave 1 and ends Terminal', async () => {
    await t.cp.tick('test');
    for (const h of ['h-001', 'h-002']) {
      const a = await agent(h);
      a.seqs.clear();
      const d = await a.poll(0);
      expect(d?.wave).toBe(1);
      if (d) expect(await a.activate(d)).toEqual([204, 204, 204, 204, 204]);
    }
    await t.cp.tick('test');
    const r = await (await t.client('operator:test')).request('/v1/rollouts');
    expect(
      r.json<{ rollouts: { rolloutId: string; state: string }[] }>().rollouts[0],
    ).toMatchObject({ rolloutId: RID, state: 'Terminal' });
  });

  it('serves the operator views', async () => {
    const op = await t.client('operator:test');
    const hostsDoc = (await op.request('/v1/hosts')).json<unknown>();
    // Every operator view answers its api-* contract.
    expect(validateContract('api-hosts', hostsDoc).ok).toBe(true);
    const hosts = hostsDoc as {
      hosts: { hostname: string; state: string | null; rolloutId: string | null }[];
    };
    expect(hosts.hosts.map((h) => h.rolloutId)).toEqual([RID, RID, RID]);
    expect(hosts.hosts.map((h) => h.state)).toEqual(['Converged', 'Converged', 'Converged']);
    const ch = await op.request('/v1/channels/stable');
    expect(ch.status).toBe(200);
    expect(validateContract('api-channel', ch.json<unknown>()).ok).toBe(true);
    const rollouts = (await op.request('/v1/rollouts')).json<unknown>();
    expect(validateContract('api-rollouts', rollouts).ok).toBe(true);
    expect(
      (rollouts as { rollouts: { waves: { converged: number }[] }[] }).rollouts[0]!.waves.reduce(
        (n, w) => n + w.converged,
        0,
      ),
    ).toBe(3);
    expect((await op.request('/v1/channels/nope')).status).toBe(404);
    const evDoc = (await op.request(`/v1/rollouts/${RID}/events?limit=1000`)).json<unknown>();
    expect(validateContract('api-rollout-events', evDoc).ok).toBe(true);
    const ev = evDoc as { events: { kind: string }[] };
    expect(ev.events.map((e) => e.kind)).toContain('RemoteConverged');
    const trace = (await op.request(`/v1/rollouts/${RID}/trace`)).json<{ hosts: unknown[] }>();
    expect(trace.hosts).toHaveLength(3);
    expect((await op.request('/v1/deferrals')).json()).toEqual({ deferrals: [] });
    const missing = await op.request('/v1/rollouts/stable@ffff/trace');
    expect(missing.status).toBe(404);
    expect(validateContract('api-error', missing.json<unknown>()).ok).toBe(true);
    const metrics = await (await t.anonymous()).request('/metrics', { noProtocol: true });
    expect(metrics.body.toString()).toContain(
      'nixfleet_cp_events_total{kind="Converged",outcome="accepted"} 3',
    );
  });

  it('writes derived rows with event_log back-references, and replay reproduces the state', async () => {
    await t.cp.runtime.mutator.idle();
    const db = new Database(t.dbPath, { readonly: true });
    const dangling = db
      .prepare(
        `SELECT COUNT(*) AS n FROM host_rollout_records r LEFT JOIN event_log e ON e.seq = r.event_log_seq WHERE e.seq IS NULL
         UNION ALL SELECT COUNT(*) FROM rollouts r LEFT JOIN event_log e ON e.seq = r.last_transition_event_log_seq WHERE e.seq IS NULL`,
      )
      .all() as { n: number }[];
    expect(dangling.map((d) => d.n)).toEqual([0, 0]);
    const dupes = db
      .prepare(
        "SELECT COUNT(*) AS n FROM event_log WHERE kind = 'RemoteDispatchAck' AND hostname = 'h-000'",
      )
      .get() as { n: number };
    expect(dupes.n).toBe(1);
    db.close();
    const rows = await t.cp.runtime.storage.allEvents({ streams: ['host', 'rollout'] });
    const r = replay(
      rows.map((row) => row.body as LogEntry),
      { retentionMs: 7 * 86_400_000 },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.model.book).toEqual(t.cp.runtime.state.model.book);
    expect(r.model.hosts).toEqual(t.cp.runtime.state.model.hosts);
  });
});
