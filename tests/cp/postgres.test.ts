// The real control plane on PostgreSQL (--database-url-file): events are
// acknowledged only once the database holds them, malformed and oversized
// bodies are refused before storage as on SQLite, and a CP that loses its
// database answers 5xx instead of acknowledging — then, once the database
// is back, stores the agent's retry exactly once. The test starts and stops
// its own PostgreSQL server (tests/support/postgres.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../support/postgres.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0';
const RID = `stable@${COMMIT}`;
let cluster: PgCluster;
let url: string;
let t: TestCp;
let a: SimAgent;
let secrets: string;

beforeAll(async () => {
  cluster = await startPgCluster();
  url = await cluster.createDatabase();
  secrets = mkdtempSync(join(tmpdir(), 'cp-pg-url-'));
  const urlFile = join(secrets, 'database-url');
  writeFileSync(urlFile, `${url}\n`, { mode: 0o600 });
  t = await startTestCp({
    release: { hosts: hostsIn([2]), soakMinutes: [60], ciCommit: COMMIT, signedAt: rfc3339() },
    flags: { databaseUrlFile: urlFile },
  });
  a = new SimAgent('h-000', await t.client('h-000'));
  expect((await a.heartbeat()).status).toBe(200);
  await t.cp.tick('test');
  if ((await a.poll(5)) === null) throw new Error('no dispatch');
});
afterAll(async () => {
  await t?.close();
  cluster?.destroy();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

/** event_log rows of h-000 in the rollout, as PostgreSQL holds them: agent seq → count. */
async function stored(): Promise<Record<number, number>> {
  await t.cp.runtime.mutator.idle();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ agent_seq: string; n: string }>(
      'SELECT agent_seq, COUNT(*) AS n FROM event_log WHERE hostname = $1 AND rollout_id = $2 AND agent_seq IS NOT NULL GROUP BY agent_seq',
      ['h-000', RID],
    );
    return Object.fromEntries(r.rows.map((x) => [Number(x.agent_seq), Number(x.n)]));
  } finally {
    await c.end();
  }
}

const ack = () => ({ received_at: rfc3339(), current_closure_at_dispatch: null });

describe('control plane on PostgreSQL', () => {
  it('refuses to serve as a replica without the fleet CA (a follower could relay nothing): CP_ERR_CONFIG', async () => {
    const urlFile = join(secrets, 'database-url');
    await expect(
      startTestCp({
        release: { hosts: hostsIn([2]), soakMinutes: [60], ciCommit: COMMIT, signedAt: rfc3339() },
        flags: { databaseUrlFile: urlFile, fleetCaCert: undefined, fleetCaKey: undefined },
      }),
    ).rejects.toMatchObject({ code: 'CP_ERR_CONFIG', details: { flag: 'fleet-ca-key' } });
  });

  it('refuses to serve as a replica whose server certificate is not valid for its --advertise-url host: CP_ERR_CONFIG', async () => {
    const urlFile = join(secrets, 'database-url');
    // The test server certificate names localhost and 127.0.0.1 only.
    await expect(
      startTestCp({
        release: { hosts: hostsIn([2]), soakMinutes: [60], ciCommit: COMMIT, signedAt: rfc3339() },
        flags: { databaseUrlFile: urlFile, advertiseUrl: 'https://cp-b.example.org:8443' },
      }),
    ).rejects.toMatchObject({ code: 'CP_ERR_CONFIG', details: { flag: 'tls-cert' } });
  });

  it('stores the state in PostgreSQL, one row per agent event however often it is posted', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await a.send('DispatchAck', RID, ack(), { seq: 2 })).status).toBe(204);
    }
    a.seqs.set(RID, 2);
    expect(await stored()).toEqual({ 2: 1 });
    expect(t.cp.runtime.state.record(RID, 'h-000')?.lastEventSeq).toBe(2);
  });

  it('refuses malformed and oversized bodies before storage, with their codes', async () => {
    const before = await stored();
    const bad = await a.client.request('/v1/agent/events', {
      body: '{"kind":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_MALFORMED_JSON');
    const big = await a.client.request('/v1/agent/events', {
      body: JSON.stringify({ kind: 'DispatchAck', pad: 'x'.repeat(300 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(await stored()).toEqual(before);
  });

  it('answers 503 when PostgreSQL is lost, stops leading, and a new start stores the retried event once', async () => {
    cluster.kill();
    const started = { started_at: rfc3339(), switch_method: 'sandbox' as const };
    const lost = await a.send('ActivationStarted', RID, started, { seq: 3 });
    expect(lost.status).toBe(503);
    // The commit failed, or the lock connection's loss closed the routes first.
    expect(['CP_ERR_STORAGE', 'CP_ERR_NOT_LEADER']).toContain(
      lost.json<{ error: { code: string } }>().error.code,
    );
    // Still down: still refused (never acknowledged from memory alone).
    const again = await a.send('ActivationStarted', RID, started, { seq: 3 });
    expect(again.status).toBe(503);
    expect((await a.heartbeat()).status).toBe(503);
    expect(t.cp.runtime.replica.leading()).toBe(false);
    cluster.restart();
    // The deposed process stops (main.ts exits 1); its successor leads again.
    await t.restart();
    a = new SimAgent('h-000', await t.client('h-000'));
    a.seqs.set(RID, 2);
    // The agent retries until acknowledged; the acknowledgement means stored.
    let status = 0;
    for (let i = 0; i < 20 && status !== 204; i++) {
      status = (await a.send('ActivationStarted', RID, started, { seq: 3 })).status;
      if (status !== 204) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(204);
    expect(await stored()).toEqual({ 2: 1, 3: 1 });
    expect(t.cp.runtime.state.record(RID, 'h-000')?.lastEventSeq).toBe(3);
  });
});
