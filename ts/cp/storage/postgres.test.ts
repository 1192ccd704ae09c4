// PostgreSQL-only behaviour of the storage seam (the shared contract is in
// conformance/): the derived schema matches SQLite's column for column, a
// lost server makes every write reject instead of acknowledging, replicas
// may migrate at once, and no message carries the database password.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../../../tests/support/postgres.ts';
import { SCHEMA_VERSION } from './migrations.ts';
import { REPLICA_TABLES } from './leader.ts';
import { openPostgresStorage } from './postgres.ts';
import { openSqliteStorage } from './sqlite.ts';
import type { WriteOp } from './types.ts';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPgCluster();
});
afterAll(() => cluster.destroy());

const event = (id: number, agentSeq: number): WriteOp => ({
  op: 'appendEvent',
  id,
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

describe('PostgreSQL storage', () => {
  it('has the SQLite schema: same tables, columns, nullability, keys and indexes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-schema-'));
    const path = join(dir, 'state.db');
    const lite = openSqliteStorage(path, { commitThread: false });
    await lite.migrate();
    await lite.close();
    const db = new Database(path, { readonly: true });
    const liteTables = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
    ).map((r) => r.name);
    const liteSchema: string[] = [];
    for (const t of liteTables) {
      for (const c of db.prepare(`PRAGMA table_info(${t})`).all() as {
        name: string;
        type: string;
        notnull: number;
        pk: number;
      }[]) {
        // A primary key column is NOT NULL in PostgreSQL whatever it says.
        const notNull = c.notnull === 1 || c.pk > 0;
        liteSchema.push(`${t}.${c.name} ${c.type === 'TEXT' ? 'text' : 'int'} ${notNull}`);
      }
    }
    const liteIndexes = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[]
    ).map((r) => r.name);
    db.close();
    rmSync(dir, { recursive: true, force: true });

    const url = await cluster.createDatabase();
    const s = openPostgresStorage(url);
    await s.migrate();
    await s.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const cols = await c.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'",
    );
    // The replicas' tables exist on PostgreSQL only (leader.ts).
    const pgSchema = cols.rows
      .filter((r) => !REPLICA_TABLES.includes(r.table_name))
      .map(
        (r) =>
          `${r.table_name}.${r.column_name} ${r.data_type === 'text' ? 'text' : 'int'} ${r.is_nullable === 'NO'}`,
      );
    const idx = await c.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'",
    );
    await c.end();
    expect(pgSchema.sort()).toEqual(liteSchema.sort());
    expect(idx.rows.map((r) => r.indexname).sort()).toEqual(liteIndexes.sort());
  });

  it('lets replicas that start together migrate at once: one migrates, the others find it done', async () => {
    const url = await cluster.createDatabase();
    const handles = [1, 2, 3].map(() => openPostgresStorage(url));
    expect(await Promise.all(handles.map((h) => h.migrate()))).toEqual([
      SCHEMA_VERSION,
      SCHEMA_VERSION,
      SCHEMA_VERSION,
    ]);
    expect(await handles[0]?.integrityCheck()).toBe('ok');
    await Promise.all(handles.map((h) => h.close()));
  });

  it('refuses an unreachable server with CP_ERR_STORAGE, naming the server but never the password', async () => {
    const s = openPostgresStorage('postgres://cp:s3cret-pw@127.0.0.1:1/fleet');
    const err = (await s.migrate().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('CP_ERR_STORAGE');
    expect(err.message).toContain('127.0.0.1:1/fleet');
    expect(err.message).not.toContain('s3cret-pw');
    await s.close();
  });

  // Last in the file: it stops the shared server.
  it('stops acknowledging when the server is lost, and resumes once it is back', async () => {
    const url = await cluster.createDatabase();
    const s = openPostgresStorage(url);
    await s.migrate();
    const acked = await s.commit([event(1, 1)]);
    cluster.kill();
    const t0 = Date.now();
    await expect(s.commit([event(1, 2)])).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    await expect(s.load()).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    await expect(s.allEvents()).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    cluster.restart();
    // The refused event is retried by its agent (same key): stored once.
    await s.commit([event(1, 2)]);
    await s.commit([event(1, 2)]);
    const events = await s.allEvents();
    expect(events.map((e) => e.agentSeq)).toEqual([1, 2]);
    expect(events[0]?.seq).toBe(acked.get(1));
    await s.close();
  });
});
