// The SQLite backend of the storage seam (better-sqlite3, WAL,
// synchronous=FULL so a commit is durable before the caller acknowledges).
// Owns the migration runner, the reads, and one transaction per batch. For a
// database file, commits run on a dedicated thread (commit-thread.ts) so the
// fsync does not stall the event loop; `:memory:` commits inline. Must never
// decide anything: it stores what the mutator computed.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CpError } from '../errors.ts';
import { CommitThread } from './commit-thread.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import {
  EVENT_COLUMNS,
  eventOf,
  LOAD_SQL,
  type LoadRows,
  outboxRowOf,
  PENDING_NOTIFICATIONS_SQL,
  PROBE_FAILURE_COLUMNS,
  probeFailureOf,
  storedStateOf,
} from './rows.ts';
import { duplicateOf, toStatements, WRITE_SQL } from './sqlite-ops.ts';
import type {
  EventRow,
  EventStream,
  OutboxRow,
  ProbeFailureRow,
  Storage,
  StoredState,
  WriteOp,
} from './types.ts';

type Db = Database.Database;
type Stmt = Database.Statement;

/**
 * Opens (creating if needed) the SQLite database at `path`; `:memory:` works
 * for unit tests. `commitThread: false` commits on the calling thread.
 *
 * @example const storage = openSqliteStorage('/var/lib/nixfleet-cp/state.db'); await storage.migrate();
 */
export function openSqliteStorage(
  path: string,
  options: { readonly commitThread?: boolean } = {},
): Storage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db: Db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return new SqliteStorage(db, path, options.commitThread ?? true);
}

class SqliteStorage implements Storage {
  private stmts: Record<string, Stmt> | null = null;
  private closed = false;

  private worker: CommitThread | null = null;

  constructor(
    private readonly db: Db,
    private readonly path: string,
    private readonly commitThread: boolean,
  ) {}

  async migrate(): Promise<number> {
    const db = this.db;
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
      v: number | null;
    };
    const current = row.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new CpError(
        'CP_ERR_CONFIG',
        `database schema version ${current} is newer than this build (${SCHEMA_VERSION})`,
        { current, supported: SCHEMA_VERSION },
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        ).run(m.version, m.name, Date.now());
      })();
    }
    this.prepare();
    return SCHEMA_VERSION;
  }

  private prepare(): void {
    const db = this.db;
    this.stmts = Object.fromEntries(
      Object.entries(WRITE_SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    );
    if (this.path !== ':memory:' && this.commitThread) {
      this.worker = new CommitThread(this.path, WRITE_SQL);
    }
  }

  private s(name: string): Stmt {
    if (this.closed) throw new CpError('CP_ERR_STORAGE', 'storage is closed');
    const st = this.stmts?.[name];
    if (!st) throw new CpError('CP_ERR_STORAGE', 'storage used before migrate()');
    return st;
  }

  async load(): Promise<StoredState> {
    const db = this.db;
    const read = db.transaction(() => {
      const rows: Record<string, Record<string, unknown>[]> = {};
      for (const [part, sql] of Object.entries(LOAD_SQL)) {
        rows[part] = db.prepare(sql).all() as Record<string, unknown>[];
      }
      return rows as unknown as LoadRows;
    });
    return storedStateOf(read());
  }

  async commit(ops: readonly WriteOp[]): Promise<ReadonlyMap<number, number>> {
    if (this.closed) throw new CpError('CP_ERR_STORAGE', 'storage is closed');
    const statements = toStatements(ops);
    if (this.worker !== null) return this.worker.commit(statements);
    const run = this.db.transaction(() => {
      const seqs = new Map<number, number>();
      for (const [name, params, localId] of statements) {
        const bound = params.map((p) =>
          p !== null && typeof p === 'object' ? (seqs.get(p.ref) ?? null) : p,
        );
        const info = this.s(name).run(...bound);
        if (localId > 0 && info.changes === 0 && name === 'appendEvent') {
          const row = this.s('storedAgentEvent').get(...duplicateOf(bound)) as
            { seq: number } | undefined;
          if (row !== undefined) seqs.set(localId, row.seq);
        } else if (localId > 0) seqs.set(localId, Number(info.lastInsertRowid));
      }
      return seqs;
    });
    try {
      return run.immediate();
    } catch (e) {
      throw new CpError(
        'CP_ERR_STORAGE',
        `commit failed: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
  }

  async rolloutEvents(
    rolloutId: string,
    options: { readonly afterSeq: number; readonly limit: number },
  ): Promise<EventRow[]> {
    const rows = this.db
      .prepare(
        `SELECT ${EVENT_COLUMNS} FROM event_log WHERE rollout_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
      )
      .all(rolloutId, options.afterSeq, options.limit) as Record<string, unknown>[];
    return rows.map(eventOf);
  }

  async allEvents(
    options: { readonly streams?: readonly EventStream[] } = {},
  ): Promise<EventRow[]> {
    const rows = this.db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM event_log ORDER BY seq ASC`)
      .all() as Record<string, unknown>[];
    const keep = options.streams ? new Set(options.streams) : null;
    return rows.filter((r) => keep === null || keep.has(r['stream'] as EventStream)).map(eventOf);
  }

  async pendingNotifications(options: { readonly limit: number }): Promise<OutboxRow[]> {
    const rows = this.db.prepare(PENDING_NOTIFICATIONS_SQL).all(options.limit) as Record<
      string,
      unknown
    >[];
    return rows.map(outboxRowOf);
  }

  async probeFailures(rolloutId: string): Promise<ProbeFailureRow[]> {
    const rows = this.db
      .prepare(
        `SELECT ${PROBE_FAILURE_COLUMNS} FROM probe_failures WHERE rollout_id = ? ORDER BY id ASC`,
      )
      .all(rolloutId) as Record<string, unknown>[];
    return rows.map(probeFailureOf);
  }

  async integrityCheck(): Promise<string> {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker?.close();
    this.db.close();
  }
}
