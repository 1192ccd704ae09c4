// The SQLite backend of the storage seam (better-sqlite3, WAL,
// synchronous=FULL so a commit is durable before the caller acknowledges).
// Owns statements, the migration runner and the translation of write ops
// into one transaction per batch. Must never decide anything: it stores what
// the mutator computed.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostRolloutState, RolloutRecord } from '../../core/index.ts';
import type { Dispatch } from '../../contracts/index.ts';
import { CpError } from '../errors.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import type {
  EventRow,
  EventStream,
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
 * for unit tests.
 *
 * @example const storage = openSqliteStorage('/var/lib/nixfleet-cp/state.db'); await storage.migrate();
 */
export function openSqliteStorage(path: string): Storage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db: Db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return new SqliteStorage(db);
}

class SqliteStorage implements Storage {
  private stmts: Record<string, Stmt> | null = null;
  private closed = false;

  constructor(private readonly db: Db) {}

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
    this.stmts = {
      appendEvent: db.prepare(
        'INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertHostRecord: db.prepare(
        `INSERT INTO host_rollout_records (rollout_id, hostname, channel, state, target_closure, last_event_seq, event_log_seq, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (rollout_id, hostname) DO UPDATE SET channel = excluded.channel, state = excluded.state,
           target_closure = excluded.target_closure, last_event_seq = excluded.last_event_seq,
           event_log_seq = COALESCE(excluded.event_log_seq, host_rollout_records.event_log_seq), record = excluded.record`,
      ),
      upsertRollout: db.prepare(
        `INSERT INTO rollouts (rollout_id, channel, target_ref, state, current_wave, holds_channel, opened_event_log_seq,
           last_transition_event_log_seq, opened_at, terminal_at, superseded_at, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (rollout_id) DO UPDATE SET state = excluded.state, current_wave = excluded.current_wave,
           holds_channel = excluded.holds_channel,
           last_transition_event_log_seq = COALESCE(excluded.last_transition_event_log_seq, rollouts.last_transition_event_log_seq),
           terminal_at = excluded.terminal_at, superseded_at = excluded.superseded_at, record = excluded.record`,
      ),
      insertQuarantine: db.prepare(
        'INSERT OR IGNORE INTO quarantined_closures (channel, closure_hash, quarantined_at, triggering_event_log_seq) VALUES (?, ?, ?, ?)',
      ),
      deleteQuarantine: db.prepare(
        'DELETE FROM quarantined_closures WHERE channel = ? AND closure_hash = ?',
      ),
      putDispatch: db.prepare(
        `INSERT INTO dispatch_queue (hostname, rollout_id, payload, event_log_seq) VALUES (?, ?, ?, ?)
         ON CONFLICT (hostname) DO UPDATE SET rollout_id = excluded.rollout_id, payload = excluded.payload, event_log_seq = excluded.event_log_seq`,
      ),
      deleteDispatch: db.prepare(
        'DELETE FROM dispatch_queue WHERE hostname = ? AND rollout_id = ?',
      ),
      upsertHost: db.prepare(
        `INSERT INTO hosts (hostname, last_heartbeat_at, current_closure, agent_version, uptime_secs) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hostname) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at,
           current_closure = excluded.current_closure, agent_version = excluded.agent_version, uptime_secs = excluded.uptime_secs`,
      ),
      insertProbeFailure: db.prepare(
        'INSERT INTO probe_failures (rollout_id, hostname, probe_name, control_id, framework, observed_at, event_log_seq) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertTokenUse: db.prepare(
        'INSERT INTO token_replay (nonce, hostname, used_at, expires_at) VALUES (?, ?, ?, ?)',
      ),
      clearRevocations: db.prepare('DELETE FROM cert_revocations'),
      insertRevocation: db.prepare(
        'INSERT OR REPLACE INTO cert_revocations (hostname, not_before, reason, revoked_by) VALUES (?, ?, ?, ?)',
      ),
      pruneEvents: db.prepare('DELETE FROM event_log WHERE recorded_at < ?'),
      pruneTokens: db.prepare('DELETE FROM token_replay WHERE expires_at < ?'),
    };
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
      }[]
    ).map((r) => ({
      nonce: r.nonce,
      hostname: r.hostname,
      usedAt: r.used_at,
      expiresAt: r.expires_at,
    }));
    return { hostRecords, rollouts, quarantines, hosts, dispatches, revocations, tokens };
  }

  async commit(ops: readonly WriteOp[]): Promise<ReadonlyMap<number, number>> {
    const seqs = new Map<number, number>();
    const ref = (id: number | null): number | null => (id === null ? null : (seqs.get(id) ?? null));
    const run = this.db.transaction(() => {
      for (const o of ops) {
        switch (o.op) {
          case 'appendEvent': {
            const r = o.row;
            const info = this.s('appendEvent').run(
              r.recordedAt,
              r.stream,
              r.rolloutId,
              r.hostname,
              r.agentSeq,
              r.kind,
              JSON.stringify(r.body),
            );
            seqs.set(o.id, Number(info.lastInsertRowid));
            break;
          }
          case 'upsertHostRecord': {
            const rec = o.record;
            this.s('upsertHostRecord').run(
              rec.rolloutId,
              rec.hostname,
              rec.channel,
              rec.state,
              rec.targetClosure,
              rec.lastEventSeq,
              ref(o.eventRef),
              JSON.stringify(rec),
            );
            break;
          }
          case 'upsertRollout': {
            const r = o.record;
            const seq = ref(o.eventRef);
            this.s('upsertRollout').run(
              r.rolloutId,
              r.channel,
              r.targetRef,
              r.state,
              r.currentWave,
              o.holdsChannel ? 1 : 0,
              seq,
              seq,
              r.openedAt,
              r.terminalAt,
              r.supersededAt,
              JSON.stringify(r),
            );
            break;
          }
          case 'insertQuarantine':
            this.s('insertQuarantine').run(
              o.row.channel,
              o.row.closure,
              o.row.quarantinedAt,
              ref(o.eventRef),
            );
            break;
          case 'deleteQuarantine':
            this.s('deleteQuarantine').run(o.channel, o.closure);
            break;
          case 'putDispatch':
            this.s('putDispatch').run(
              o.hostname,
              o.payload.rollout_id,
              JSON.stringify(o.payload),
              ref(o.eventRef),
            );
            break;
          case 'deleteDispatch':
            this.s('deleteDispatch').run(o.hostname, o.rolloutId);
            break;
          case 'upsertHost':
            this.s('upsertHost').run(
              o.row.hostname,
              o.row.lastHeartbeatAt,
              o.row.currentClosure,
              o.row.agentVersion,
              o.row.uptimeSecs,
            );
            break;
          case 'insertProbeFailure':
            this.s('insertProbeFailure').run(
              o.rolloutId,
              o.hostname,
              o.probe,
              o.controlId,
              o.framework,
              o.observedAt,
              ref(o.eventRef),
            );
            break;
          case 'insertTokenUse':
            this.s('insertTokenUse').run(
              o.row.nonce,
              o.row.hostname,
              o.row.usedAt,
              o.row.expiresAt,
            );
            break;
          case 'replaceRevocations':
            this.s('clearRevocations').run();
            for (const r of o.rows) {
              this.s('insertRevocation').run(r.hostname, r.notBefore, r.reason, r.revokedBy);
            }
            break;
          case 'pruneEvents':
            this.s('pruneEvents').run(o.before);
            break;
          case 'pruneTokens':
            this.s('pruneTokens').run(o.before);
            break;
        }
      }
    });
    try {
      run.immediate();
    } catch (e) {
      throw new CpError(
        'CP_ERR_STORAGE',
        `commit failed: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
    return seqs;
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

  async probeFailures(rolloutId: string): Promise<ProbeFailureRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM probe_failures WHERE rollout_id = ? ORDER BY id ASC')
      .all(rolloutId) as {
      rollout_id: string;
      hostname: string;
      probe_name: string;
      control_id: string | null;
      framework: string | null;
      observed_at: number;
      event_log_seq: number | null;
    }[];
    return rows.map((r) => ({
      rolloutId: r.rollout_id,
      hostname: r.hostname,
      probe: r.probe_name,
      controlId: r.control_id,
      framework: r.framework,
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
    this.db.close();
  }
}
