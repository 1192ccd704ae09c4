// The storage seam's contract, written once and run against every backend
// (backends.ts): migrations, one transaction per batch, local-id references,
// idempotent agent events, typed refusals, the read queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostRolloutState } from '../../../core/index.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../migrations.ts';
import { toStatements } from '../sqlite-ops.ts';
import type { EventRow, Storage, WriteOp } from '../types.ts';
import { BACKENDS } from './backends.ts';

const event = (id: number, row: Partial<EventRow> = {}): WriteOp => ({
  op: 'appendEvent',
  id,
  row: {
    recordedAt: 1,
    stream: 'host',
    rolloutId: 'stable@ab',
    hostname: 'web-01',
    agentSeq: id,
    kind: 'RemoteDispatchAck',
    body: { id },
    ...row,
  },
});

describe.each(BACKENDS)('storage conformance: $name', (backend) => {
  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());

  async function migrated(): Promise<Storage> {
    const s = (await backend.fresh()).open();
    await s.migrate();
    return s;
  }

  it('migrates idempotently and records every version', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    await s.close();
    const again = fx.open();
    expect(await again.migrate()).toBe(SCHEMA_VERSION);
    expect(await again.integrityCheck()).toBe('ok');
    await again.close();
    expect(await fx.query('SELECT version FROM schema_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
  });

  it('refuses a database newer than this build with CP_ERR_CONFIG', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    await s.close();
    await fx.exec(
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${SCHEMA_VERSION + 1}, 'future', 0)`,
    );
    const again = fx.open();
    await expect(again.migrate()).rejects.toMatchObject({ code: 'CP_ERR_CONFIG' });
    await again.close();
  });

  it('upgrades a version-2 database holding retried agent events: one row each, references moved', async () => {
    const fx = await backend.fresh();
    await fx.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
      await fx.exec(fx.migrationSql(m));
      await fx.exec(`INSERT INTO schema_migrations VALUES (${m.version}, 'v${m.version}', 0)`);
    }
    // seq 1: a host event; 2-4: one ClosureQuarantined retried three times;
    // 5: another host's event with the same agent seq; 6: a rollout row.
    const add = (
      at: number,
      stream: string,
      host: string | null,
      seq: number | null,
      kind: string,
    ) =>
      fx.exec(
        `INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (${at}, '${stream}', 'stable@ab', ${host === null ? 'NULL' : `'${host}'`}, ${seq ?? 'NULL'}, '${kind}', '{}')`,
      );
    await add(1, 'host', 'web-01', 2, 'RemoteDispatchAck');
    for (let i = 0; i < 3; i++) await add(2 + i, 'agent', 'web-01', 3, 'ClosureQuarantined');
    await add(5, 'host', 'web-02', 3, 'RemoteDispatchAck');
    await add(6, 'rollout', null, null, 'RolloutOpened');
    await fx.exec(
      "INSERT INTO quarantined_closures (channel, closure_hash, quarantined_at, triggering_event_log_seq) VALUES ('stable', 'c', 1, 4)",
    );
    const s = fx.open();
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    expect((await s.allEvents()).map((r) => [r.seq, r.hostname, r.agentSeq])).toEqual([
      [1, 'web-01', 2],
      [2, 'web-01', 3],
      [5, 'web-02', 3],
      [6, null, null],
    ]);
    // The key holds from now on, across streams, and a duplicate append
    // resolves to the stored row.
    const seqs = await s.commit([
      event(1, { recordedAt: 9, stream: 'agent', agentSeq: 2, kind: 'ClosureQuarantined' }),
    ]);
    expect(seqs.get(1)).toBe(1);
    expect((await s.allEvents()).length).toBe(4);
    expect(await s.integrityCheck()).toBe('ok');
    await s.close();
    expect(
      await fx.query('SELECT triggering_event_log_seq AS s FROM quarantined_closures'),
    ).toEqual([{ s: 2 }]);
  });

  it('stores one row per agent event (hostname, rolloutId, agentSeq), references resolving to it', async () => {
    const s = await migrated();
    const row = { stream: 'agent' as const, agentSeq: 7, kind: 'ClosureQuarantined', body: {} };
    const first = await s.commit([event(1, row)]);
    const again = await s.commit([
      event(1, { ...row, recordedAt: 2 }),
      event(2, { ...row, agentSeq: 8 }),
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c', quarantinedAt: 2 },
        eventRef: 1,
      },
    ]);
    expect(again.get(1)).toBe(first.get(1));
    expect(again.get(2)).toBeGreaterThan(first.get(1) as number);
    expect((await s.allEvents()).map((e) => [e.agentSeq, e.recordedAt])).toEqual([
      [7, 1],
      [8, 1],
    ]);
    await s.close();
  });

  it('stores one row when a batch holds the same agent event twice; both ids resolve to it', async () => {
    const s = await migrated();
    const seqs = await s.commit([event(1), event(2, { agentSeq: 1, recordedAt: 5 }), event(3)]);
    expect(seqs.get(2)).toBe(seqs.get(1));
    expect((await s.allEvents()).map((e) => [e.seq, e.agentSeq, e.recordedAt])).toEqual([
      [seqs.get(1), 1, 1],
      [seqs.get(3), 3, 1],
    ]);
    await s.close();
  });

  it('stores text with quotes, backslashes and any unicode exactly as given', async () => {
    const s = await migrated();
    const odd = "web-'; DROP TABLE event_log; --\\ $1 ? \u00e9\u2028\ud83d\ude00";
    await s.commit([
      event(1, { hostname: odd, kind: 'it\'s \\ "odd"', body: { odd, nested: [odd] } }),
      {
        op: 'upsertHost',
        row: {
          hostname: odd,
          lastHeartbeatAt: 1,
          currentClosure: odd,
          agentVersion: null,
          uptimeSecs: 0,
        },
      },
    ]);
    const [e] = await s.allEvents();
    expect([e?.hostname, e?.kind, e?.body]).toEqual([
      odd,
      'it\'s \\ "odd"',
      { odd, nested: [odd] },
    ]);
    expect((await s.load()).hosts[0]?.currentClosure).toBe(odd);
    await s.close();
  });

  it('refuses a timestamp that is not a number (NaN) with CP_ERR_STORAGE, writing nothing', async () => {
    const s = await migrated();
    await expect(s.commit([event(1, { recordedAt: Number.NaN })])).rejects.toMatchObject({
      code: 'CP_ERR_STORAGE',
    });
    expect(await s.allEvents()).toEqual([]);
    await s.close();
  });

  it('writes derived rows with the event_log seq of the same batch', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    const seqs = await s.commit([
      event(1, { kind: 'RemoteRollbackComplete', body: { x: 1 } }),
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c1', quarantinedAt: 1 },
        eventRef: 1,
      },
      event(2, { stream: 'cp', hostname: 'web-02', agentSeq: null, kind: 'Dispatched' }),
      {
        op: 'putDispatch',
        hostname: 'web-02',
        payload: { rollout_id: 'stable@ab' } as never,
        eventRef: 2,
      },
    ]);
    expect(seqs.get(1)).toBeTypeOf('number');
    expect((await s.load()).quarantines).toEqual([
      { channel: 'stable', closure: 'c1', quarantinedAt: 1 },
    ]);
    const events = await s.rolloutEvents('stable@ab', { afterSeq: 0, limit: 10 });
    expect(events.map((e) => e.seq)).toEqual([seqs.get(1), seqs.get(2)]);
    expect(events[0]?.body).toEqual({ x: 1 });
    await s.close();
    expect(
      await fx.query('SELECT triggering_event_log_seq AS s FROM quarantined_closures'),
    ).toEqual([{ s: seqs.get(1) }]);
    expect(await fx.query('SELECT event_log_seq AS s FROM dispatch_queue')).toEqual([
      { s: seqs.get(2) },
    ]);
  });

  it('a failed commit leaves nothing half-written: the whole batch rolls back', async () => {
    const s = await migrated();
    const use = {
      nonce: 'n1',
      hostname: 'h',
      usedAt: 1,
      expiresAt: 2,
      fingerprint: 'fp',
      issued: 1,
    };
    await s.commit([{ op: 'putTokenUse', row: use }]);
    await expect(
      s.commit([
        event(1),
        {
          op: 'upsertHost',
          row: {
            hostname: 'h',
            lastHeartbeatAt: 1,
            currentClosure: null,
            agentVersion: null,
            uptimeSecs: null,
          },
        },
        { op: 'putTokenUse', row: { ...use, issued: 2 } },
        // violates the stream CHECK constraint: the whole batch must roll back
        event(2, { stream: 'nope' as 'cp' }),
      ]),
    ).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    const state = await s.load();
    expect(state.hosts).toEqual([]);
    expect(state.tokens).toEqual([use]);
    expect(await s.allEvents()).toEqual([]);
    // The store is usable after the failure.
    expect((await s.commit([event(3)])).get(3)).toBeTypeOf('number');
    await s.close();
  });

  it('refuses a batch it cannot serialise with CP_ERR_STORAGE, writing nothing', async () => {
    const s = await migrated();
    await expect(s.commit([event(1, { body: { n: 1n } })])).rejects.toMatchObject({
      code: 'CP_ERR_STORAGE',
    });
    expect(await s.allEvents()).toEqual([]);
    await s.close();
  });

  it('stores a body at the edge limit (256 KiB) intact', async () => {
    const s = await migrated();
    const big = { blob: 'x'.repeat(256 * 1024), text: 'é\u2028"\\' };
    await s.commit([event(1, { body: big })]);
    expect((await s.allEvents())[0]?.body).toEqual(big);
    await s.close();
  });

  it('coalesces upserts of one record within a batch (last state, newest back-reference)', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    const rec = (state: string, lastEventSeq: number) =>
      ({
        rolloutId: 'stable@ab',
        hostname: 'web-01',
        channel: 'stable',
        state,
        targetClosure: 'c1',
        lastEventSeq,
      }) as unknown as HostRolloutState;
    const seqs = await s.commit([
      event(1),
      { op: 'upsertHostRecord', record: rec('Pending', 1), eventRef: 1 },
      event(2),
      { op: 'upsertHostRecord', record: rec('Activating', 2), eventRef: 2 },
      { op: 'upsertHostRecord', record: rec('Soaking', 3), eventRef: null },
    ]);
    expect(
      toStatements([
        { op: 'upsertHostRecord', record: rec('Pending', 1), eventRef: 1 },
        { op: 'upsertHostRecord', record: rec('Soaking', 3), eventRef: null },
      ]),
    ).toHaveLength(1);
    expect((await s.load()).hostRecords).toEqual([rec('Soaking', 3)]);
    await s.close();
    expect(
      await fx.query('SELECT state, last_event_seq, event_log_seq FROM host_rollout_records'),
    ).toEqual([{ state: 'Soaking', last_event_seq: 3, event_log_seq: seqs.get(2) }]);
  });
});
