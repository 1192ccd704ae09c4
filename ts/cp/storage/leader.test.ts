// Leader election through a real PostgreSQL server: one replica holds the
// lock at a time and each new leader raises the epoch; a deposed leader's
// commit is refused inside its transaction (the fence) and stores nothing,
// even when the deposed replica has not noticed; a replica that never led
// refuses to write; losing the lock connection is reported at once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../../../tests/support/postgres.ts';
import { CpError } from '../errors.ts';
import { fenceSql, pgLeadership, type Leadership } from './leader.ts';
import { openPostgresStorage, SESSION_OPTIONS } from './postgres.ts';
import type { WriteOp } from './types.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster.destroy());

const event = (agentSeq: number): WriteOp => ({
  op: 'appendEvent',
  id: 1,
  row: {
    recordedAt: Date.now(),
    stream: 'host',
    rolloutId: 'stable@ab',
    hostname: 'web-01',
    agentSeq,
    kind: 'RemoteDispatchAck',
    body: {},
  },
});

const leadership = (url: string, advertiseUrl: string): Leadership =>
  pgLeadership(url, { advertiseUrl, retryMs: 100, where: 'test' });

async function seqsIn(url: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ agent_seq: string }>(
      'SELECT agent_seq FROM event_log ORDER BY agent_seq',
    );
    return r.rows.map((x) => Number(x.agent_seq));
  } finally {
    await c.end();
  }
}

describe('leader election on PostgreSQL', () => {
  it('fences a deposed leader: its commit is refused inside the transaction and stores nothing', async () => {
    const url = await cluster.createDatabase();
    const l1 = leadership(url, 'https://cp-1:8443');
    const s1 = openPostgresStorage(url, { leadership: l1 });
    await s1.migrate();
    expect(await l1.acquire(new AbortController().signal)).toBe(1);
    await s1.commit([event(1)]);

    // A replica that does not know it lost: it still believes it holds epoch 1.
    let fencedWith: CpError | null = null;
    const zombie: Leadership = {
      epoch: () => 1,
      acquire: () => Promise.resolve(1),
      known: () => null,
      onLost: () => undefined,
      fenced: (e) => (fencedWith = e),
      close: () => Promise.resolve(),
    };
    const stale = openPostgresStorage(url, { leadership: zombie });
    await stale.migrate();

    await l1.close(); // the lock is released, as when its connection dies
    const l2 = leadership(url, 'https://cp-2:8443');
    const s2 = openPostgresStorage(url, { leadership: l2 });
    await s2.migrate();
    expect(await l2.acquire(new AbortController().signal)).toBe(2);
    expect(l2.known()).toMatchObject({ epoch: 2, url: 'https://cp-2:8443' });

    await expect(stale.commit([event(2)])).rejects.toMatchObject({ code: 'CP_ERR_NOT_LEADER' });
    expect(fencedWith).toBeInstanceOf(CpError);
    await s2.commit([event(3)]);
    expect(await seqsIn(url)).toEqual([1, 3]);
    // A replica that never led refuses before it sends anything.
    await expect(s1.commit([event(4)])).rejects.toMatchObject({ code: 'CP_ERR_NOT_LEADER' });
    for (const s of [s1, s2, stale]) await s.close();
    await l2.close();
  });

  it('holds the lock in one replica at a time; a follower knows the leader and takes over when it ends', async () => {
    const url = await cluster.createDatabase();
    const s = openPostgresStorage(url);
    await s.migrate();
    const l1 = leadership(url, 'https://cp-1:8443');
    const l2 = leadership(url, 'https://cp-2:8443');
    const lost: CpError[] = [];
    l1.onLost((e) => lost.push(e));
    await l1.acquire(new AbortController().signal);
    const waiting = new AbortController();
    const second = l2.acquire(waiting.signal);
    await new Promise((r) => setTimeout(r, 400));
    expect(l2.epoch()).toBeNull();
    expect(l2.known()).toMatchObject({ epoch: 1, url: 'https://cp-1:8443' });

    // The leader's session ends (a crash, a partition the server noticed).
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'nixfleet-cp-leader' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)",
    );
    await c.end();
    expect(await second).toBe(2);
    for (let i = 0; i < 40 && lost.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(lost.map((e) => e.code)).toEqual(['CP_ERR_NOT_LEADER']);
    expect(l1.epoch()).toBeNull();
    await l1.close();
    await l2.close();
    await s.close();
  });

  it("makes a new leader wait for the old leader's commit in flight, whose batch it then loads", async () => {
    const url = await cluster.createDatabase();
    const l1 = leadership(url, 'https://cp-1:8443');
    const s1 = openPostgresStorage(url, { leadership: l1 });
    await s1.migrate();
    await l1.acquire(new AbortController().signal);
    // The old leader's commit, caught between its fence and its COMMIT.
    const tx = new pg.Client({ connectionString: url });
    await tx.connect();
    await tx.query(`BEGIN; ${fenceSql(1)}`);
    await tx.query(
      "INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (1, 'host', 'stable@ab', 'web-01', 7, 'RemoteDispatchAck', '{}')",
    );
    await l1.close();
    const l2 = leadership(url, 'https://cp-2:8443');
    let raised = false;
    const taking = l2.acquire(new AbortController().signal).then((e) => {
      raised = true;
      return e;
    });
    await new Promise((r) => setTimeout(r, 500));
    // The epoch raise waits for the share lock the fence took.
    expect(raised).toBe(false);
    await tx.query('COMMIT');
    await tx.end();
    expect(await taking).toBe(2);
    // The load that follows the raise sees the old leader's batch.
    const s2 = openPostgresStorage(url, { leadership: l2 });
    await s2.migrate();
    expect(await seqsIn(url)).toEqual([7]);
    await s2.commit([event(8)]);
    expect(await seqsIn(url)).toEqual([7, 8]);
    for (const s of [s1, s2]) await s.close();
    await l2.close();
  });

  it('lets a new leader take over from one that vanished mid-commit: the server ends the idle transaction within seconds', async () => {
    const url = await cluster.createDatabase();
    const l1 = leadership(url, 'https://cp-1:8443');
    const s1 = openPostgresStorage(url, { leadership: l1 });
    await s1.migrate();
    await l1.acquire(new AbortController().signal);
    // The old leader's pooled session (same settings), gone silent after its
    // fence: a partition, or a machine that died without closing.
    const tx = new pg.Client({ connectionString: url, options: SESSION_OPTIONS });
    tx.on('error', () => undefined);
    await tx.connect();
    await tx.query(`BEGIN; ${fenceSql(1)}`);
    await l1.close();
    const l2 = leadership(url, 'https://cp-2:8443');
    const t0 = performance.now();
    expect(await l2.acquire(new AbortController().signal)).toBe(2);
    const waited = performance.now() - t0;
    expect(waited).toBeLessThan(8_000);
    await expect(tx.query('COMMIT')).rejects.toThrow();
    await tx.end().catch(() => undefined);
    await s1.close();
    await l2.close();
  }, 20_000);
});
