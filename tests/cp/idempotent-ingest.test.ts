// Idempotent ingest on a real CP: the same (host, rollout, seq) posted 20
// times is acknowledged 20 times and stored once, for every event kind an
// agent sends, including the ones the host reducer does not fold
// (ClosureQuarantined); and the reducer sees it once.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'd1d2d3d4d5d6d7d8d9d0d1d2d3d4d5d6d7d8d9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;
let a: SimAgent;
let d: Dispatch;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([2]), soakMinutes: [60], ciCommit: COMMIT, signedAt: rfc3339() },
  });
  a = new SimAgent('h-000', await t.client('h-000'));
  await a.heartbeat();
  await t.cp.tick('test');
  const got = await a.poll(5);
  if (got === null) throw new Error('no dispatch');
  d = got;
});
afterAll(async () => {
  await t.close();
});

/** event_log rows of h-000 in the rollout with agent seq `seq`. */
async function rowsOf(seq: number): Promise<number> {
  await t.cp.runtime.mutator.idle();
  const db = new Database(t.dbPath, { readonly: true });
  try {
    const r = db
      .prepare(
        'SELECT COUNT(*) AS n FROM event_log WHERE hostname = ? AND rollout_id = ? AND agent_seq = ?',
      )
      .get('h-000', RID, seq) as { n: number };
    return r.n;
  } finally {
    db.close();
  }
}

async function twenty(kind: string, body: Record<string, unknown>, seq: number): Promise<number[]> {
  const event = { kind, rollout_id: RID, hostname: 'h-000', seq, ...body };
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++)
    statuses.push((await a.client.request('/v1/agent/events', { body: event })).status);
  return statuses;
}

describe('idempotent ingest', () => {
  it('stores a DispatchAck posted 20 times once', async () => {
    const s = await twenty(
      'DispatchAck',
      { received_at: rfc3339(), current_closure_at_dispatch: null },
      2,
    );
    expect(s).toEqual(Array(20).fill(204));
    expect(await rowsOf(2)).toBe(1);
    // The reducer stepped once: 19 retries counted as duplicates, the record at seq 2.
    const metrics = (await (await t.anonymous()).request('/metrics')).body.toString();
    expect(metrics).toMatch(
      /nixfleet_cp_events_total\{kind="DispatchAck",outcome="duplicate"\} 19\b/,
    );
    expect(t.cp.runtime.state.record(RID, 'h-000')?.lastEventSeq).toBe(2);
  });

  it('stores a ClosureQuarantined posted 20 times once', async () => {
    const s = await twenty(
      'ClosureQuarantined',
      {
        closure: d.target_closure,
        quarantined_at: rfc3339(),
        failure_count: 1,
        last_failure_at: rfc3339(),
      },
      3,
    );
    expect(s).toEqual(Array(20).fill(204));
    expect(await rowsOf(3)).toBe(1);
  });
});

describe('bounded numbers', () => {
  // Sent as text: 2^53+1 and 2^63 are not representable in a JS number.
  it.each(['9007199254740993', '9223372036854775808', '1e300', '-1', '2.5'])(
    'refuses an event with seq %s (400) and stores nothing',
    async (seq) => {
      const before = await rowsOf(2);
      const body = `{"kind":"DispatchAck","rollout_id":"${RID}","hostname":"h-000","seq":${seq},"received_at":"${rfc3339()}","current_closure_at_dispatch":null}`;
      const r = await a.client.request('/v1/agent/events', {
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status, r.body.toString()).toBe(400);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_SCHEMA_INVALID');
      await t.cp.runtime.mutator.idle();
      const db = new Database(t.dbPath, { readonly: true });
      try {
        const big = db
          .prepare('SELECT COUNT(*) AS n FROM event_log WHERE agent_seq > 9007199254740991')
          .get() as { n: number };
        expect(big.n).toBe(0);
      } finally {
        db.close();
      }
      expect(await rowsOf(2)).toBe(before);
    },
  );

  it('refuses a heartbeat whose seq map holds 1e300', async () => {
    const body = `{"hostname":"h-000","agent_version":"0.2.0","current_closure":null,"uptime_secs":1,"last_event_seq_by_rollout":{"${RID}":1e300},"at":"${rfc3339()}"}`;
    const r = await a.client.request('/v1/agent/heartbeat', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
  });
});
