// The SQLite backend of the storage seam (better-sqlite3, WAL,
// synchronous=FULL so a commit is durable before the caller acknowledges).
// Owns the migration runner, the reads, and one transaction per batch. For a
// database file, commits run on a dedicated thread (commit-thread.ts) so the
// fsync does not stall the event loop; `:memory:` commits inline. Must never
// decide anything: it stores what the mutator computed.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostRolloutState, RolloutRecord } from '../../core/index.ts';
import type { Dispatch } from '../../contracts/index.ts';
import { CpError } from '../errors.ts';
import { CommitThread } from './commit-thread.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { duplicateOf, toStatements, WRITE_SQL } from './sqlite-ops.ts';
import type {
  EventRow,
  EventStream,
  OutboxRow,
  OutboxState,
  ProbeFailureRow,
  Storage,
  StoredState,
  WriteOp,
} from './types.ts';

type Db = Database.Database;
type Stmt = Database.Statement;

interface EventDbRow {
  seq: number;
  recorded_at: number;
  stream: EventStream;
  rollout_id: string | null;
  hostname: string | null;
  agent_seq: number | null;
  kind: string;
  body: string;
}

function toEvent(r: EventDbRow): EventRow {
  return {
    seq: r.seq,
    recordedAt: r.recorded_at,
    stream: r.stream,
    rolloutId: r.rollout_id,
    hostname: r.hostname,
    agentSeq: r.agent_seq,
    kind: r.kind,
    body: JSON.parse(r.body) as unknown,
  };
}

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
    const hostRecords = (
      db.prepare('SELECT record FROM host_rollout_records').all() as { record: string }[]
    ).map((r) => JSON.parse(r.record) as HostRolloutState);
    const rollouts = (
      db.prepare('SELECT record, holds_channel FROM rollouts').all() as {
        record: string;
        holds_channel: number;
      }[]
    ).map((r) => ({
      record: JSON.parse(r.record) as RolloutRecord,
      holdsChannel: r.holds_channel === 1,
    }));
    const quarantines = (
      db
        .prepare('SELECT channel, closure_hash, quarantined_at FROM quarantined_closures')
        .all() as { channel: string; closure_hash: string; quarantined_at: number }[]
    ).map((r) => ({
      channel: r.channel,
      closure: r.closure_hash,
      quarantinedAt: r.quarantined_at,
    }));
    const hosts = (
      db.prepare('SELECT * FROM hosts').all() as {
        hostname: string;
        last_heartbeat_at: number;
        current_closure: string | null;
        agent_version: string | null;
        uptime_secs: number | null;
      }[]
    ).map((r) => ({
      hostname: r.hostname,
      lastHeartbeatAt: r.last_heartbeat_at,
      currentClosure: r.current_closure,
      agentVersion: r.agent_version,
      uptimeSecs: r.uptime_secs,
    }));
    const dispatches = (
      db.prepare('SELECT hostname, payload FROM dispatch_queue').all() as {
        hostname: string;
        payload: string;
      }[]
    ).map((r) => ({ hostname: r.hostname, payload: JSON.parse(r.payload) as Dispatch }));
    const revocations = (
      db.prepare('SELECT * FROM cert_revocations').all() as {
        hostname: string;
        not_before: number;
        reason: string | null;
        revoked_by: string | null;
      }[]
    ).map((r) => ({
      hostname: r.hostname,
      notBefore: r.not_before,
      reason: r.reason,
      revokedBy: r.revoked_by,
    }));
    const tokens = (
      db.prepare('SELECT * FROM token_replay').all() as {
        nonce: string;
        hostname: string;
        used_at: number;
        expires_at: number;
        pubkey_fingerprint: string | null;
        issued_count: number;
      }[]
    ).map((r) => ({
      nonce: r.nonce,
      hostname: r.hostname,
      usedAt: r.used_at,
      expiresAt: r.expires_at,
      fingerprint: r.pubkey_fingerprint,
      issued: r.issued_count,
    }));
    const highWater = (
      db.prepare('SELECT * FROM artifact_high_water').all() as {
        channel: string;
        signed_at: string;
        signed_at_ms: number;
        release: string;
      }[]
    ).map((r) => ({
      channel: r.channel,
      signedAt: r.signed_at,
      signedAtMs: r.signed_at_ms,
      release: r.release,
    }));
    return {
      hostRecords,
      rollouts,
      quarantines,
      hosts,
      dispatches,
      revocations,
      tokens,
      highWater,
    };
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
      .prepare('SELECT * FROM event_log WHERE rollout_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?')
      .all(rolloutId, options.afterSeq, options.limit) as EventDbRow[];
    return rows.map(toEvent);
  }

  async allEvents(
    options: { readonly streams?: readonly EventStream[] } = {},
  ): Promise<EventRow[]> {
    const rows = this.db.prepare('SELECT * FROM event_log ORDER BY seq ASC').all() as EventDbRow[];
    const keep = options.streams ? new Set(options.streams) : null;
    return rows.filter((r) => keep === null || keep.has(r.stream)).map(toEvent);
  }

  async pendingNotifications(options: { readonly limit: number }): Promise<OutboxRow[]> {
    const rows = this.db
      .prepare(
        "SELECT * FROM notification_outbox WHERE state = 'pending' ORDER BY next_attempt_at ASC LIMIT ?",
      )
      .all(options.limit) as {
      dedupe_id: string;
      sink: string;
      payload: string;
      created_at: number;
      state: OutboxState;
      attempts: number;
      next_attempt_at: number;
      last_error: string | null;
    }[];
    return rows.map((r) => ({
      dedupeId: r.dedupe_id,
      sink: r.sink,
      payload: JSON.parse(r.payload) as OutboxRow['payload'],
      createdAt: r.created_at,
      state: r.state,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      lastError: r.last_error,
    }));
  }

  async probeFailures(rolloutId: string): Promise<ProbeFailureRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM probe_failures WHERE rollout_id = ? ORDER BY id ASC')
      .all(rolloutId) as {
      rollout_id: string;
      hostname: string;
      probe_name: string;
      control_id: string | null;
      framework: string | null;
      article: string | null;
      reason: string | null;
      observed_at: number;
      event_log_seq: number | null;
    }[];
    return rows.map((r) => ({
      rolloutId: r.rollout_id,
      hostname: r.hostname,
      probe: r.probe_name,
      controlId: r.control_id,
      framework: r.framework,
      article: r.article,
      reason: r.reason,
      observedAt: r.observed_at,
      eventLogSeq: r.event_log_seq,
    }));
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
