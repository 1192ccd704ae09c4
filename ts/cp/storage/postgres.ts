// The PostgreSQL backend of the storage seam (node-postgres). Same schema
// (migrations.ts, derived DDL), same write statements (postgres-sql.ts) and
// same reads (rows.ts) as SQLite. One batch is one transaction on one pooled
// connection: the event_log rows and the rows derived from them commit
// together or not at all; with PostgreSQL's defaults (fsync, synchronous
// commit) COMMIT returns only once the batch is durable. Reads use other
// pooled connections, so they never see a batch in flight. Any failure,
// the server gone included, rejects with CP_ERR_STORAGE and the caller does
// not acknowledge. Must never decide anything, and never let a driver type
// or the connection URL (it may hold a password) out of this module.
import pg from 'pg';
import { CpError } from '../errors.ts';
import {
  FENCE_SQLSTATE,
  fenceSql,
  REPLICA_DDL,
  REPLICA_TABLES,
  type Leadership,
} from './leader.ts';
import { MIGRATIONS, postgresSql, SCHEMA_VERSION } from './migrations.ts';
import { appendEventsSql, numberPlaceholders, restSql, segmentsOf } from './postgres-sql.ts';
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
import { toStatements } from './sqlite-ops.ts';
import type {
  EventRow,
  EventStream,
  OutboxRow,
  ProbeFailureRow,
  Storage,
  StoredState,
  WriteOp,
} from './types.ts';

/** Key of the advisory lock that serialises migrations of one database across processes. */
const MIGRATION_LOCK = 0x6e66_6370; // "nfcp"

const INT8_OID = 20;

/**
 * Settings of every pooled session. A writer that vanished mid-transaction
 * (lost machine, partition) must not hold its locks for the OS's two-hour
 * keep-alive: among replicas, its share lock on the leader row would stall
 * the next leader's epoch raise. The server ends such a session within
 * seconds.
 */
export const SESSION_OPTIONS =
  '-c idle_in_transaction_session_timeout=5000 -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3';

/** BIGINT columns (epoch ms, seqs) as numbers; every value they hold is below 2^53. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`BIGINT ${text} exceeds 2^53`);
  return n;
}

const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? parseInt8
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** The tables and the schema version every sound database has. */
const TABLES = [
  'schema_migrations',
  'event_log',
  'host_rollout_records',
  'rollouts',
  'quarantined_closures',
  'probe_failures',
  'dispatch_queue',
  'hosts',
  'token_replay',
  'cert_revocations',
  'artifact_high_water',
  'notification_outbox',
  ...REPLICA_TABLES,
];

/** Where the pool connects, for messages (never the password). */
function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}

function storageError(what: string, where: string, e: unknown): CpError {
  if (e instanceof CpError) return e;
  if ((e as { code?: unknown }).code === FENCE_SQLSTATE) {
    return new CpError(
      'CP_ERR_NOT_LEADER',
      `${what} refused: another replica leads now (${(e as Error).message}); retry against the leader`,
      {},
      { cause: e },
    );
  }
  const msg = (e as Error).message ?? String(e);
  return new CpError(
    'CP_ERR_STORAGE',
    `${what} failed on PostgreSQL at ${where}: ${msg} (check that the server is up and reachable; the request can be retried)`,
    {},
    { cause: e },
  );
}

/**
 * Opens a pool to the PostgreSQL database at `url` (`postgres://…`). Nothing
 * connects until the first call; `migrate()` is that call in the CP.
 *
 * @example const storage = openPostgresStorage(readFileSync(urlFile, 'utf8').trim()); await storage.migrate();
 */
export function openPostgresStorage(
  url: string,
  options: {
    readonly maxConnections?: number;
    /** Replicas: every commit is fenced by this leadership's epoch, and refused without one. */
    readonly leadership?: Leadership;
  } = {},
): Storage {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: 5_000,
    // A server that vanished without closing the connection (lost machine,
    // partition) must fail the commit, not hold the mutator forever.
    query_timeout: 30_000,
    keepAlive: true,
    options: SESSION_OPTIONS,
    application_name: 'nixfleet-cp',
    types: TYPES,
  });
  // An idle pooled connection that dies (server restart, network) is
  // dropped by the pool; the next checkout reconnects or fails the caller.
  pool.on('error', () => undefined);
  return new PostgresStorage(pool, describe(url), options.leadership ?? null);
}

/** Where `url` points, for messages (never the password). */
export function describeDatabase(url: string): string {
  return describe(url);
}

class PostgresStorage implements Storage {
  private closed = false;
  private migrated = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    private readonly leadership: Leadership | null,
  ) {}

  private live(): void {
    if (this.closed) throw new CpError('CP_ERR_STORAGE', 'storage is closed');
    if (!this.migrated) throw new CpError('CP_ERR_STORAGE', 'storage used before migrate()');
  }

  /** Runs `fn` in one transaction on one connection; a failed one is rolled back and the connection dropped. */
  private async transaction<T>(
    what: string,
    begin: string | null,
    fn: (c: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw new CpError('CP_ERR_STORAGE', 'storage is closed');
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw storageError(what, this.where, e);
    }
    // A checked-out connection that drops emits 'error' besides failing its
    // query; unheard, that event would end the process. The failed query
    // is what reports it.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      // null: `fn` sends BEGIN and COMMIT itself, inside its own messages.
      if (begin !== null) await client.query(begin);
      const out = await fn(client);
      if (begin !== null) await client.query('COMMIT');
      client.removeListener('error', ignore);
      client.release();
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      // Never reuse a connection whose transaction failed: its state is unknown.
      client.release(true);
      const err = storageError(what, this.where, e);
      if (err.code === 'CP_ERR_NOT_LEADER') this.leadership?.fenced(err);
      throw err;
    }
  }

  async migrate(): Promise<number> {
    const version = await this.transaction('migration', 'BEGIN', async (c) => {
      // Replicas starting together: one migrates, the others wait and find it done.
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const r = await c.query<{ v: number | null }>(
        'SELECT MAX(version) AS v FROM schema_migrations',
      );
      const current = r.rows[0]?.v ?? 0;
      if (current > SCHEMA_VERSION) {
        throw new CpError(
          'CP_ERR_CONFIG',
          `database schema version ${current} is newer than this build (${SCHEMA_VERSION}): run a newer control plane`,
          { current, supported: SCHEMA_VERSION },
        );
      }
      // DDL is transactional here: every pending migration lands, or none.
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        await c.query(postgresSql(m));
        await c.query(
          'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
          [m.version, m.name, Date.now()],
        );
      }
      await c.query(REPLICA_DDL);
      return SCHEMA_VERSION;
    });
    this.migrated = true;
    return version;
  }

  async load(): Promise<StoredState> {
    this.live();
    // One snapshot for every table: the state is as of one commit.
    return this.transaction(
      'load',
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      async (c) => {
        const rows: Record<string, Record<string, unknown>[]> = {};
        for (const [part, sql] of Object.entries(LOAD_SQL)) {
          rows[part] = (await c.query<Record<string, unknown>>(sql)).rows;
        }
        return storedStateOf(rows as unknown as LoadRows);
      },
    );
  }

  async commit(ops: readonly WriteOp[]): Promise<ReadonlyMap<number, number>> {
    this.live();
    const statements = toStatements(ops);
    // A replica commits only while it leads, and only under its epoch: the
    // fence runs inside the transaction, so a deposed leader's batch aborts.
    const epoch = this.leadership === null ? null : this.leadership.epoch();
    if (this.leadership !== null && epoch === null) {
      throw new CpError(
        'CP_ERR_NOT_LEADER',
        'this replica does not lead: it refuses to write (retry against the leader)',
      );
    }
    const begin = epoch === null ? 'BEGIN' : `BEGIN;\n${fenceSql(epoch)}`;
    return this.transaction('commit', null, async (c) => {
      // Per segment two round trips at most: its events (their seqs come
      // back), then every other statement with those seqs filled in. BEGIN
      // rides on the first message and COMMIT on the last.
      const seqs = new Map<number, number>();
      const segments = segmentsOf(statements);
      let pending = begin;
      for (const seg of segments) {
        if (seg.events.length > 0) {
          const res = (await c.query(
            [pending, appendEventsSql(seg.events)].filter((x) => x !== '').join(';\n'),
          )) as unknown as
            | pg.QueryResult<{ id: number; seq: number }>
            | pg.QueryResult<{ id: number; seq: number }>[];
          // One result per statement of the message; the seqs are the last.
          const last = Array.isArray(res) ? res.at(-1) : res;
          for (const r of last?.rows ?? []) seqs.set(r.id, r.seq);
          pending = '';
        }
        const rest = restSql(seg.rest, seqs);
        if (rest.length > 0) {
          await c.query([pending, ...rest].filter((x) => x !== '').join(';\n'));
          pending = '';
        }
      }
      await c.query(pending === '' ? 'COMMIT' : `${pending}; COMMIT`);
      return seqs;
    });
  }

  private async read(
    what: string,
    text: string,
    values: readonly unknown[],
  ): Promise<Record<string, unknown>[]> {
    this.live();
    try {
      return (await this.pool.query<Record<string, unknown>>(text, [...values])).rows;
    } catch (e) {
      throw storageError(what, this.where, e);
    }
  }

  async rolloutEvents(
    rolloutId: string,
    options: { readonly afterSeq: number; readonly limit: number },
  ): Promise<EventRow[]> {
    const rows = await this.read(
      'event read',
      `SELECT ${EVENT_COLUMNS} FROM event_log WHERE rollout_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
      [rolloutId, options.afterSeq, options.limit],
    );
    return rows.map(eventOf);
  }

  async allEvents(
    options: { readonly streams?: readonly EventStream[] } = {},
  ): Promise<EventRow[]> {
    const rows = await this.read(
      'event read',
      `SELECT ${EVENT_COLUMNS} FROM event_log WHERE $1::text[] IS NULL OR stream = ANY($1::text[]) ORDER BY seq ASC`,
      [options.streams === undefined ? null : [...options.streams]],
    );
    return rows.map(eventOf);
  }

  async pendingNotifications(options: { readonly limit: number }): Promise<OutboxRow[]> {
    const rows = await this.read('outbox read', numberPlaceholders(PENDING_NOTIFICATIONS_SQL), [
      options.limit,
    ]);
    return rows.map(outboxRowOf);
  }

  async probeFailures(rolloutId: string): Promise<ProbeFailureRow[]> {
    const rows = await this.read(
      'probe failure read',
      `SELECT ${PROBE_FAILURE_COLUMNS} FROM probe_failures WHERE rollout_id = $1 ORDER BY id ASC`,
      [rolloutId],
    );
    return rows.map(probeFailureOf);
  }

  /**
   * PostgreSQL checks pages itself (checksums, WAL); what can be wrong here
   * is the schema: a missing table, an index left invalid by a failed
   * build, or a schema version this build does not know.
   */
  async integrityCheck(): Promise<string> {
    const problems: string[] = [];
    const tables = await this.read(
      'integrity check',
      'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()',
      [],
    );
    const have = new Set(tables.map((r) => r['table_name'] as string));
    for (const t of TABLES) if (!have.has(t)) problems.push(`table ${t} missing`);
    const invalid = await this.read(
      'integrity check',
      `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = current_schema()::regnamespace AND NOT (i.indisvalid AND i.indisready)`,
      [],
    );
    for (const r of invalid) problems.push(`index ${r['relname'] as string} invalid`);
    if (have.has('schema_migrations')) {
      const v = await this.read(
        'integrity check',
        'SELECT MAX(version) AS v FROM schema_migrations',
        [],
      );
      const version = v[0]?.['v'] ?? null;
      if (version !== SCHEMA_VERSION) {
        problems.push(`schema version ${String(version)}, this build expects ${SCHEMA_VERSION}`);
      }
    }
    return problems.length === 0 ? 'ok' : problems.join('; ');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
