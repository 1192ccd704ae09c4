// Leader election among CP replicas sharing one PostgreSQL database
// (docs/design/replicas.md). A replica is the leader while it holds a session
// advisory lock on a dedicated connection; on acquiring it, it raises the
// epoch of the `cp_leader` row, and every commit it sends checks that epoch
// inside the commit's transaction (postgres.ts), so a replica that lost the
// lock without noticing yet can never write. Losing the lock connection is
// reported at once (`onLost`); the caller stops deciding. Must never decide
// anything but who leads, and never let the connection URL out (it may hold
// a password).
import { hostname } from 'node:os';
import pg from 'pg';
import { CpError } from '../errors.ts';

/** Key of the session advisory lock held by the leader ("nfld"). */
export const LEADER_LOCK = 0x6e66_6c64;

/** SQLSTATE a commit's fence raises when the epoch moved on (a user-defined class). */
export const FENCE_SQLSTATE = 'NF001';

/** The PostgreSQL-only tables of replication, created with the migrations. */
export const REPLICA_DDL = `
CREATE TABLE IF NOT EXISTS cp_leader (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  epoch  BIGINT NOT NULL,
  holder TEXT NOT NULL,
  url    TEXT,
  since  BIGINT NOT NULL
)`;

/** Tables {@link REPLICA_DDL} creates (absent from SQLite on purpose). */
export const REPLICA_TABLES: readonly string[] = ['cp_leader'];

/**
 * The statement that opens a leader's commit: takes a share lock on the
 * leader row (a new leader's epoch raise waits for it, or it waits for the
 * raise and then sees it) and raises {@link FENCE_SQLSTATE} unless the row
 * still holds `epoch`.
 */
export function fenceSql(epoch: number): string {
  if (!Number.isSafeInteger(epoch)) throw new Error(`epoch ${epoch} is not an integer`);
  return `DO $$DECLARE e BIGINT; BEGIN SELECT epoch INTO e FROM cp_leader WHERE id = 1 FOR SHARE; IF e IS DISTINCT FROM ${epoch} THEN RAISE EXCEPTION 'leader epoch is %, this replica holds ${epoch}', e USING ERRCODE = '${FENCE_SQLSTATE}'; END IF; END$$`;
}

/** The row naming the current leader. */
export interface LeaderRow {
  readonly epoch: number;
  readonly holder: string;
  /** The leader's `--advertise-url`, null when it has none. */
  readonly url: string | null;
  readonly since: number;
}

/** Who leads, as one replica sees it. */
export interface Leadership {
  /** This replica's epoch while it leads; null otherwise (its commits are refused). */
  epoch(): number | null;
  /**
   * Tries the lock every `retryMs` until it holds it, then raises the epoch;
   * resolves with the new epoch. Rejects with CP_ERR_SHUTTING_DOWN once
   * `signal` aborts.
   */
  acquire(signal: AbortSignal): Promise<number>;
  /** The leader row as last read by this replica's lock attempts (null before any). */
  known(): LeaderRow | null;
  /** Called once when this replica stops leading (connection lost, lock gone, fence tripped). */
  onLost(fn: (e: CpError) => void): void;
  /** Reports a fence refusal seen by a commit: leadership is lost. */
  fenced(e: CpError): void;
  /** Releases the lock (graceful stop) and closes the connection. */
  close(): Promise<void>;
}

/** Options of {@link pgLeadership}. */
export interface LeadershipOptions {
  /** This replica's reachable URL, named to clients a follower refuses. */
  readonly advertiseUrl: string | null;
  /** How often a follower retries the lock and the leader checks its connection (ms). */
  readonly retryMs: number;
  /** Where the database is, for messages (never the URL). */
  readonly where: string;
  readonly log?: (level: 'info' | 'warn' | 'error', obj: object, msg: string) => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Leadership through the database at `url`.
 *
 * @example const l = pgLeadership(url, { advertiseUrl: null, retryMs: 2000, where }); const epoch = await l.acquire(signal);
 */
export function pgLeadership(url: string, o: LeadershipOptions): Leadership {
  const holder = `${hostname()}:${process.pid}`;
  let client: pg.Client | null = null;
  let current: number | null = null;
  let lostFns: ((e: CpError) => void)[] = [];
  let lostReported = false;
  let keepalive: NodeJS.Timeout | null = null;
  let closed = false;
  let known: LeaderRow | null = null;
  const log = o.log ?? (() => undefined);

  const lose = (why: string, cause?: unknown): void => {
    if (current === null || lostReported) return;
    lostReported = true;
    const epoch = current;
    current = null;
    if (keepalive !== null) clearInterval(keepalive);
    keepalive = null;
    const err = new CpError(
      'CP_ERR_NOT_LEADER',
      `this replica lost the leadership (epoch ${epoch}): ${why}`,
      { epoch },
      cause === undefined ? undefined : { cause },
    );
    // The connection may still hold the lock; ending it releases the lock.
    void client?.end().catch(() => undefined);
    client = null;
    for (const fn of lostFns) fn(err);
  };

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: Math.max(1_000, o.retryMs),
      query_timeout: Math.max(1_000, o.retryMs),
      keepAlive: true,
      application_name: 'nixfleet-cp-leader',
    });
    c.on('error', (e) => lose(`lock connection error: ${e.message}`, e));
    c.on('end', () => lose('lock connection closed'));
    await c.connect();
    // The server must notice a leader that vanished without closing (lost
    // machine, partition) soon, for only then does it release the lock.
    const keep = Math.max(1, Math.round(o.retryMs / 1000));
    // The server cancels a statement before the client stops waiting: an
    // epoch raise the client gave up on must not commit behind its back.
    await c.query(
      `SET tcp_keepalives_idle = ${keep}; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3; SET tcp_user_timeout = ${Math.max(1000, 3 * o.retryMs)}; SET statement_timeout = ${Math.round(0.8 * Math.max(1_000, o.retryMs))}`,
    );
    return c;
  };

  const tryOnce = async (): Promise<number | null> => {
    client ??= await connect();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
      LEADER_LOCK,
    ]);
    if (r.rows[0]?.ok !== true) {
      const who = await client.query<{
        epoch: string;
        holder: string;
        url: string | null;
        since: string;
      }>('SELECT epoch, holder, url, since FROM cp_leader WHERE id = 1');
      const row = who.rows[0];
      known =
        row === undefined
          ? null
          : {
              epoch: Number(row.epoch),
              holder: row.holder,
              url: row.url,
              since: Number(row.since),
            };
      return null;
    }
    // Raised in its own transaction: it waits for a deposed leader's commit in
    // flight (that commit holds the row FOR SHARE) and makes every later one fail.
    const up = await client.query<{ epoch: string }>(
      `INSERT INTO cp_leader (id, epoch, holder, url, since) VALUES (1, 1, $1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET epoch = cp_leader.epoch + 1, holder = EXCLUDED.holder, url = EXCLUDED.url, since = EXCLUDED.since
       RETURNING epoch`,
      [holder, o.advertiseUrl, Date.now()],
    );
    const epoch = Number(up.rows[0]?.epoch);
    known = { epoch, holder, url: o.advertiseUrl, since: Date.now() };
    return epoch;
  };

  return {
    epoch: () => current,
    async acquire(signal) {
      let warned = false;
      while (!signal.aborted && !closed) {
        try {
          const epoch = await tryOnce();
          if (epoch !== null) {
            current = epoch;
            lostReported = false;
            keepalive = setInterval(() => {
              // A lock connection that no longer answers may have lost the lock
              // (the server ends a dead session's locks): stop deciding.
              client
                ?.query('SELECT 1')
                .catch((e: unknown) =>
                  lose(`lock connection check failed: ${(e as Error).message}`, e),
                );
            }, o.retryMs);
            log('info', { epoch, holder, url: o.advertiseUrl }, 'this replica leads');
            return epoch;
          }
          warned = false;
        } catch (e) {
          void client?.end().catch(() => undefined);
          client = null;
          if (!warned) {
            log(
              'warn',
              { where: o.where, err: (e as Error).message },
              'leader lock: database unreachable; retrying',
            );
            warned = true;
          }
        }
        await sleep(o.retryMs, signal);
      }
      throw new CpError('CP_ERR_SHUTTING_DOWN', 'stopped before this replica became the leader');
    },
    known: () => known,
    onLost(fn) {
      lostFns.push(fn);
    },
    fenced(e) {
      lose(e.message, e);
    },
    async close() {
      closed = true;
      lostFns = [];
      if (keepalive !== null) clearInterval(keepalive);
      keepalive = null;
      current = null;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
