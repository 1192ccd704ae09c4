import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { toStatements } from './sqlite-ops.ts';
import { openSqliteStorage } from './sqlite.ts';
import type { HostRolloutState } from '../../core/index.ts';
import type { Storage } from './types.ts';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'cp-storage-'));
  dirs.push(d);
  return join(d, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite storage', () => {
  it('migrates idempotently and runs in WAL mode', async () => {
    const path = tmpDb();
    const s = openSqliteStorage(path);
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    await s.close();
    const again = openSqliteStorage(path);
    expect(await again.migrate()).toBe(SCHEMA_VERSION);
    expect(await again.integrityCheck()).toBe('ok');
    await again.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = raw.prepare('SELECT version FROM schema_migrations').all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    raw.close();
  });

  it('upgrades a version-1 database: old token_replay rows are unbound, issued once', async () => {
    const path = tmpDb();
    const raw = new Database(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    raw.exec(MIGRATIONS[0]?.sql ?? '');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('v1');
    raw
      .prepare(
        'INSERT INTO token_replay (nonce, hostname, used_at, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run('n0', 'web-01', 5, 9);
    raw.close();
    const s = openSqliteStorage(path);
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    expect((await s.load()).tokens).toEqual([
      { nonce: 'n0', hostname: 'web-01', usedAt: 5, expiresAt: 9, fingerprint: null, issued: 1 },
    ]);
    await s.close();
  });

  it('upgrades a version-2 database holding retried agent events: one row each, references moved', async () => {
    const path = tmpDb();
    const raw = new Database(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    raw.exec(MIGRATIONS[0]?.sql ?? '');
    raw.exec(MIGRATIONS[1]?.sql ?? '');
    raw.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0), (2, ?, 0)').run('v1', 'v2');
    const add = raw.prepare(
      'INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // seq 1: a host event; 2-4: one ClosureQuarantined retried three times;
    // 5: another host's event with the same agent seq; 6: a rollout row.
    add.run(1, 'host', 'stable@ab', 'web-01', 2, 'RemoteDispatchAck', '{}');
    for (let i = 0; i < 3; i++)
      add.run(2 + i, 'agent', 'stable@ab', 'web-01', 3, 'ClosureQuarantined', '{}');
    add.run(5, 'host', 'stable@ab', 'web-02', 3, 'RemoteDispatchAck', '{}');
    add.run(6, 'rollout', 'stable@ab', null, null, 'RolloutOpened', '{}');
    raw
      .prepare(
        'INSERT INTO quarantined_closures (channel, closure_hash, quarantined_at, triggering_event_log_seq) VALUES (?, ?, ?, ?)',
      )
      .run('stable', 'c', 1, 4);
    raw.close();
    const s = openSqliteStorage(path);
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    const rows = await s.allEvents();
    expect(rows.map((r) => [r.seq, r.hostname, r.agentSeq])).toEqual([
      [1, 'web-01', 2],
      [2, 'web-01', 3],
      [5, 'web-02', 3],
      [6, null, null],
    ]);
    // The key holds from now on, across streams, and a duplicate append
    // resolves to the stored row.
    const seqs = await s.commit([
      {
        op: 'appendEvent',
        id: 1,
        row: {
          recordedAt: 9,
          stream: 'agent',
          rolloutId: 'stable@ab',
          hostname: 'web-01',
          agentSeq: 2,
          kind: 'ClosureQuarantined',
          body: {},
        },
      },
    ]);
    expect(seqs.get(1)).toBe(1);
    expect((await s.allEvents()).length).toBe(4);
    expect(await s.integrityCheck()).toBe('ok');
    await s.close();
    const after = new Database(path, { readonly: true });
    expect(
      after.prepare('SELECT triggering_event_log_seq AS s FROM quarantined_closures').all(),
    ).toEqual([{ s: 2 }]);
    after.close();
  });

  it.each([true, false])(
    'stores one row per agent event, references resolving to it (commit thread: %s)',
    async (commitThread) => {
      const s = openSqliteStorage(tmpDb(), { commitThread });
      await s.migrate();
      const row = {
        recordedAt: 1,
        stream: 'agent' as const,
        rolloutId: 'stable@ab',
        hostname: 'web-01',
        agentSeq: 7,
        kind: 'ClosureQuarantined',
        body: {},
      };
      const first = await s.commit([{ op: 'appendEvent', id: 1, row }]);
      const again = await s.commit([
        { op: 'appendEvent', id: 1, row: { ...row, recordedAt: 2 } },
        { op: 'appendEvent', id: 2, row: { ...row, agentSeq: 8 } },
      ]);
      expect(again.get(1)).toBe(first.get(1));
      expect(again.get(2)).toBeGreaterThan(first.get(1) as number);
      expect((await s.allEvents()).map((e) => [e.agentSeq, e.recordedAt])).toEqual([
        [7, 1],
        [8, 1],
      ]);
      await s.close();
    },
  );

  it('keeps the newest signedAt per channel: a write never lowers the mark', async () => {
    const path = tmpDb();
    const s: Storage = openSqliteStorage(path);
    await s.migrate();
    const row = (signedAt: string, release: string) => ({
      channel: 'stable',
      signedAt,
      signedAtMs: Date.parse(signedAt),
      release,
    });
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T11:00:00Z', 'new') }]);
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T10:00:00Z', 'old') }]);
    expect((await s.load()).highWater).toEqual([row('2026-06-01T11:00:00Z', 'new')]);
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T12:00:00Z', 'newer') }]);
    await s.close();
    const again = openSqliteStorage(path);
    await again.migrate();
    expect((await again.load()).highWater).toEqual([row('2026-06-01T12:00:00Z', 'newer')]);
    await again.close();
  });

  it('upgrades a version-4 probe_failures view: old rows kept, new rows carry article and failure text', async () => {
    const path = tmpDb();
    const raw = new Database(path);
    raw.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
      raw.exec(m.sql);
      raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    raw
      .prepare(
        'INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (1, ?, ?, ?, 1, ?, ?)',
      )
      .run('host', 'stable@ab', 'web-01', 'ProbeResult', '{}');
    raw
      .prepare(
        'INSERT INTO probe_failures (rollout_id, hostname, probe_name, control_id, framework, observed_at, event_log_seq) VALUES (?, ?, ?, ?, ?, 1, 1)',
      )
      .run('stable@ab', 'web-01', 'compliance', 'sshd-no-root', 'anssi-bp028');
    raw.close();
    const s = openSqliteStorage(path);
    expect(await s.migrate()).toBe(SCHEMA_VERSION);
    await s.commit([
      {
        op: 'appendEvent',
        id: 1,
        row: {
          recordedAt: 2,
          stream: 'host',
          rolloutId: 'stable@ab',
          hostname: 'web-02',
          agentSeq: 1,
          kind: 'ProbeResult',
          body: {},
        },
      },
      {
        op: 'insertProbeFailure',
        rolloutId: 'stable@ab',
        hostname: 'web-02',
        probe: 'compliance',
        controlId: 'firewall-enabled',
        framework: 'nis2',
        article: 'art. 21(2)(e)',
        reason: '1 control(s) failing for nis2',
        observedAt: 2,
        eventRef: 1,
      },
    ]);
    const rows = await s.probeFailures('stable@ab');
    expect(rows.map((r) => [r.hostname, r.controlId, r.framework, r.article, r.reason])).toEqual([
      ['web-01', 'sshd-no-root', 'anssi-bp028', null, null],
      ['web-02', 'firewall-enabled', 'nis2', 'art. 21(2)(e)', '1 control(s) failing for nis2'],
    ]);
    await s.close();
  });

  it('annotates every column as derivable or accepted loss (contracts §IV)', () => {
    for (const m of MIGRATIONS) {
      const body = m.sql.split('\n');
      for (const line of body) {
        const t = line.trim();
        if (!/^[a-z_]+\s+(INTEGER|TEXT)/.test(t)) continue;
        expect(t, `column without classification: ${t}`).toMatch(
          /--\s*(derivable|security lookup)/,
        );
      }
    }
  });

  it('writes derived rows with the event_log seq of the same batch', async () => {
    const s: Storage = openSqliteStorage(tmpDb());
    await s.migrate();
    const seqs = await s.commit([
      {
        op: 'appendEvent',
        id: 1,
        row: {
          recordedAt: 1,
          stream: 'host',
          rolloutId: 'stable@ab',
          hostname: 'web-01',
          agentSeq: 7,
          kind: 'RemoteRollbackComplete',
          body: { x: 1 },
        },
      },
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c1', quarantinedAt: 1 },
        eventRef: 1,
      },
    ]);
    const seq = seqs.get(1);
    expect(seq).toBeTypeOf('number');
    const state = await s.load();
    expect(state.quarantines).toEqual([{ channel: 'stable', closure: 'c1', quarantinedAt: 1 }]);
    const events = await s.rolloutEvents('stable@ab', { afterSeq: 0, limit: 10 });
    expect(events[0]?.seq).toBe(seq);
    expect(events[0]?.body).toEqual({ x: 1 });
    await s.close();
  });

  it('rolls back the whole batch when one write fails', async () => {
    const s = openSqliteStorage(tmpDb());
    await s.migrate();
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
        {
          op: 'appendEvent',
          id: 1,
          // violates the stream CHECK constraint: the whole batch must roll back
          row: {
            recordedAt: 1,
            stream: 'nope' as 'cp',
            rolloutId: null,
            hostname: null,
            agentSeq: null,
            kind: 'X',
            body: {},
          },
        },
      ]),
    ).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    const state = await s.load();
    expect(state.hosts).toEqual([]);
    expect(state.tokens).toEqual([use]);
    await s.close();
  });

  it.each([
    ['the commit thread', true],
    ['the calling thread', false],
  ])(
    'coalesces upserts of one record within a batch on %s (last state, newest back-reference)',
    async (_name, commitThread) => {
      const path = tmpDb();
      const s = openSqliteStorage(path, { commitThread });
      await s.migrate();
      const ev = (id: number, seq: number) =>
        ({
          op: 'appendEvent',
          id,
          row: {
            recordedAt: id,
            stream: 'host',
            rolloutId: 'stable@ab',
            hostname: 'web-01',
            agentSeq: seq,
            kind: 'RemoteDispatchAck',
            body: { id },
          },
        }) as const;
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
        ev(1, 1),
        { op: 'upsertHostRecord', record: rec('Pending', 1), eventRef: 1 },
        ev(2, 2),
        { op: 'upsertHostRecord', record: rec('Activating', 2), eventRef: 2 },
        { op: 'upsertHostRecord', record: rec('Soaking', 3), eventRef: null },
      ]);
      expect(
        toStatements([
          { op: 'upsertHostRecord', record: rec('Pending', 1), eventRef: 1 },
          { op: 'upsertHostRecord', record: rec('Soaking', 3), eventRef: null },
        ]),
      ).toHaveLength(1);
      await s.close();
      const raw = new Database(path);
      const rows = raw
        .prepare('SELECT state, last_event_seq, event_log_seq FROM host_rollout_records')
        .all();
      raw.close();
      expect(rows).toEqual([{ state: 'Soaking', last_event_seq: 3, event_log_seq: seqs.get(2) }]);
    },
  );
});
