import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, postgresSql, SCHEMA_VERSION } from './migrations.ts';
import { openSqliteStorage } from './sqlite.ts';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'cp-storage-'));
  dirs.push(d);
  return join(d, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// SQLite-only behaviour: WAL, upgrades of files written by older builds.
// The seam's contract is tested on every backend in conformance/.
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

  it('annotates every column as derivable or accepted loss (contracts §IV), in both dialects', () => {
    for (const m of MIGRATIONS) {
      const body = [...m.sql.split('\n'), ...postgresSql(m).split('\n')];
      for (const line of body) {
        const t = line.trim();
        if (!/^[a-z_]+\s+(INTEGER|BIGINT|TEXT)/.test(t)) continue;
        expect(t, `column without classification: ${t}`).toMatch(
          /--\s*(derivable|security lookup)/,
        );
      }
    }
  });
});
