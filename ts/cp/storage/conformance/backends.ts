// The backends the storage conformance suite runs against: each opens a
// fresh, empty database and gives raw SQL access to it (for seeding old
// schema versions and reading columns the seam does not expose). One
// PostgreSQL cluster serves a whole test file (started by `setUp`, removed
// by `tearDown`); every test gets its own database.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPgCluster, type PgCluster } from '../../../../tests/support/postgres.ts';
import { type Migration, postgresSql } from '../migrations.ts';
import { openPostgresStorage } from '../postgres.ts';
import { openSqliteStorage } from '../sqlite.ts';
import type { Storage } from '../types.ts';

/** One empty database of one backend. */
export interface Fixture {
  /** A new storage handle on this database (not yet migrated). */
  open(): Storage;
  /** Runs statements outside the seam (no parameters). */
  exec(sql: string): Promise<void>;
  /** Reads rows outside the seam; numbers come back as numbers. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** A migration's text in this backend's dialect. */
  migrationSql(m: Migration): string;
}

/** A backend under test. */
export interface Backend {
  readonly name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  fresh(): Promise<Fixture>;
}

function sqliteBackend(commitThread: boolean): Backend {
  const dirs: string[] = [];
  return {
    name: commitThread ? 'SQLite (commit thread)' : 'SQLite (calling thread)',
    async setUp() {},
    async tearDown() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
    async fresh() {
      const d = mkdtempSync(join(tmpdir(), 'cp-storage-'));
      dirs.push(d);
      const path = join(d, 'state.db');
      const raw = <T>(fn: (db: Database.Database) => T): T => {
        const db = new Database(path);
        try {
          return fn(db);
        } finally {
          db.close();
        }
      };
      return {
        open: () => openSqliteStorage(path, { commitThread }),
        exec: async (sql) => raw((db) => void db.exec(sql)),
        query: async (sql) => raw((db) => db.prepare(sql).all() as Record<string, unknown>[]),
        migrationSql: (m) => m.sql,
      };
    },
  };
}

/** The shared cluster of the PostgreSQL backend (for tests that stop the server). */
export const pgServer: { cluster: PgCluster | null } = { cluster: null };

function postgresBackend(): Backend {
  return {
    name: 'PostgreSQL',
    async setUp() {
      pgServer.cluster = await startPgCluster();
    },
    async tearDown() {
      pgServer.cluster?.destroy();
      pgServer.cluster = null;
    },
    async fresh() {
      const cluster = pgServer.cluster;
      if (cluster === null) throw new Error('PostgreSQL backend used before setUp()');
      const url = await cluster.createDatabase();
      const raw = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
        const c = new pg.Client({
          connectionString: url,
          types: {
            getTypeParser: (oid: number, f?: 'text' | 'binary') =>
              oid === 20 ? Number : pg.types.getTypeParser(oid, f ?? 'text'),
          } as pg.CustomTypesConfig,
        });
        await c.connect();
        try {
          return await fn(c);
        } finally {
          await c.end();
        }
      };
      return {
        open: () => openPostgresStorage(url),
        exec: (sql) => raw(async (c) => void (await c.query(sql))),
        query: (sql) => raw(async (c) => (await c.query<Record<string, unknown>>(sql)).rows),
        migrationSql: postgresSql,
      };
    },
  };
}

/** Every backend, for `describe.each`. */
export const BACKENDS: readonly Backend[] = [
  sqliteBackend(true),
  sqliteBackend(false),
  postgresBackend(),
];
