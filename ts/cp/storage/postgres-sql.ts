// The PostgreSQL text of every write statement. Derived from the SQLite
// statements (sqlite-ops.ts WRITE_SQL) so both backends write the same rows
// by the same rules (upsert columns, COALESCE of back-references, the
// high-water guard, the retention guard): `?` placeholders become `$n`, and
// the few statements in SQLite-only syntax are given here in full. A batch
// is sent as few multi-row statements with literal values (segmentsOf,
// appendEventsSql, restSql): per-statement round trips and planning cost
// more than the writes themselves.
import pg from 'pg';
import { type Param, type Statement, WRITE_SQL } from './sqlite-ops.ts';

const { escapeLiteral } = pg;

/** Statements whose SQLite text does not carry over. */
const OVERRIDES: Readonly<Record<string, string>> = {
  // RETURNING: the seq of the stored row (none when the unique key refused a duplicate).
  appendEvent:
    'INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq',
  insertQuarantine:
    'INSERT INTO quarantined_closures (channel, closure_hash, quarantined_at, triggering_event_log_seq) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  insertRevocation: `INSERT INTO cert_revocations (hostname, not_before, reason, revoked_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET not_before = excluded.not_before, reason = excluded.reason, revoked_by = excluded.revoked_by`,
};

/** Replaces each `?` with `$1`, `$2`, … (no statement here has a `?` inside a literal). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** PostgreSQL text of every write statement, by the names of WRITE_SQL. */
export const PG_WRITE_SQL: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({ ...WRITE_SQL, ...OVERRIDES }).map(([name, sql]) => [
    name,
    numberPlaceholders(sql),
  ]),
);

/** A parameter as an SQL literal; refuses what the binding would have refused or changed. */
export function literal(p: string | number | null): string {
  if (p === null) return 'NULL';
  if (typeof p === 'number') {
    // Every numeric column is an integer; PostgreSQL would round a fraction silently.
    if (!Number.isSafeInteger(p)) throw new Error(`${p} is not an integer column value`);
    return String(p);
  }
  return escapeLiteral(p);
}

/** Fills `$n` placeholders with SQL text, in one pass (inserted text is not rescanned). */
export function fill(template: string, values: readonly string[]): string {
  return template.replace(/\$(\d+)/g, (_m, n: string) => {
    const v = values[Number(n) - 1];
    if (v === undefined) throw new Error(`placeholder $${n} without a value`);
    return v;
  });
}

/**
 * Statements several of which may run as one multi-row statement: plain
 * inserts, and upserts whose rows of one key are reduced to the last (every
 * column is overwritten, so the last row is what running them in order
 * leaves). Host records and rollouts are unique per batch already
 * (toStatements coalesces them).
 */
const MERGEABLE: Readonly<Record<string, ((values: readonly string[]) => string) | null>> = {
  insertProbeFailure: null,
  upsertHostRecord: (v) => `${v[0]} ${v[1]}`,
  upsertRollout: (v) => `${v[0]}`,
  upsertHost: (v) => `${v[0]}`,
};

const VALUES_RE = /VALUES \(\$1(?:, \$\d+)*\)/;

/** One statement of `name` inserting every row of `rows`. */
function multiRow(name: string, rows: readonly (readonly string[])[]): string {
  const template = PG_WRITE_SQL[name] as string;
  const keyOf = MERGEABLE[name];
  let kept = rows;
  if (keyOf) {
    const last = new Map<string, readonly string[]>();
    for (const r of rows) {
      const k = keyOf(r);
      last.delete(k);
      last.set(k, r);
    }
    kept = [...last.values()];
  }
  return template.replace(
    VALUES_RE,
    () => `VALUES ${kept.map((r) => `(${r.join(', ')})`).join(', ')}`,
  );
}

const EVENT_COLS = 'recorded_at, stream, rollout_id, hostname, agent_seq, kind, body';

/**
 * Appends events in one statement and selects each local id's stored seq:
 * seqs are drawn in batch order before the insert, so a row the unique key
 * refuses (an agent event stored before, or earlier in the same statement)
 * is told apart from one stored now, and its id resolves to the row that
 * holds its key.
 */
export function appendEventsSql(
  rows: readonly { readonly id: number; readonly params: readonly Param[] }[],
): string {
  const input = rows
    .map(
      (r) =>
        `(${[literal(r.id), ...r.params.map((p) => literal(p as string | number | null))].join(', ')})`,
    )
    .join(',\n  ');
  const key = (a: string, b: string): string =>
    `${a}.hostname = ${b}.hostname AND ${a}.rollout_id = ${b}.rollout_id AND ${a}.agent_seq = ${b}.agent_seq`;
  return `WITH input (id, ${EVENT_COLS}) AS (VALUES
  ${input}),
numbered AS MATERIALIZED (
  SELECT nextval(pg_get_serial_sequence('event_log', 'seq')) AS seq, id, recorded_at::bigint AS recorded_at,
         stream::text AS stream, rollout_id::text AS rollout_id, hostname::text AS hostname,
         agent_seq::bigint AS agent_seq, kind::text AS kind, body::text AS body
    FROM (SELECT * FROM input ORDER BY id) ordered),
stored AS (
  INSERT INTO event_log (seq, ${EVENT_COLS}) OVERRIDING SYSTEM VALUE
  SELECT seq, ${EVENT_COLS} FROM numbered ORDER BY seq
  ON CONFLICT DO NOTHING RETURNING seq)
SELECT n.id, COALESCE(s.seq, e.seq, f.seq) AS seq
  FROM numbered n
  LEFT JOIN stored s ON s.seq = n.seq
  LEFT JOIN event_log e ON ${key('e', 'n')}
  LEFT JOIN (SELECT n2.* FROM numbered n2 JOIN stored s2 ON s2.seq = n2.seq) f ON ${key('f', 'n')}
 WHERE n.id > 0`;
}

/** One part of a batch: its events (appended first), then its other statements in order. */
export interface Segment {
  readonly events: { readonly id: number; readonly params: readonly Param[] }[];
  readonly rest: { readonly name: string; readonly params: readonly Param[] }[];
}

/**
 * Cuts a batch into segments at each retention prune (which must see what
 * was written before it, and nothing after). In a segment every appended
 * event may go first, in one statement: a reference only ever names an
 * earlier append, and no other statement writes event_log.
 */
export function segmentsOf(statements: readonly Statement[]): Segment[] {
  const out: Segment[] = [];
  let cur: Segment = { events: [], rest: [] };
  for (const [name, params, localId] of statements) {
    if (PG_WRITE_SQL[name] === undefined) throw new Error(`unknown statement ${name}`);
    if (name === 'appendEvent') cur.events.push({ id: localId, params });
    else if (name === 'pruneProbeFailures' || name === 'pruneEvents') {
      cur.rest.push({ name, params });
      out.push(cur);
      cur = { events: [], rest: [] };
    } else cur.rest.push({ name, params });
  }
  out.push(cur);
  return out.filter((s) => s.events.length > 0 || s.rest.length > 0);
}

/**
 * A segment's other statements as one script, references replaced by the
 * seqs the segment's events got: consecutive statements of a mergeable kind
 * become one multi-row statement, since a statement costs more to parse and
 * plan than its row costs to write.
 */
export function restSql(rest: Segment['rest'], seqs: ReadonlyMap<number, number>): string[] {
  const parts: string[] = [];
  const valuesOf = (params: readonly Param[]): string[] =>
    params.map((p) =>
      p !== null && typeof p === 'object' ? literal(seqs.get(p.ref) ?? null) : literal(p),
    );
  for (let i = 0; i < rest.length;) {
    const { name } = rest[i] as { name: string };
    let j = i + 1;
    if (name in MERGEABLE) while (j < rest.length && rest[j]?.name === name) j++;
    const rows = rest.slice(i, j).map((r) => valuesOf(r.params));
    parts.push(
      j - i > 1 ? multiRow(name, rows) : fill(PG_WRITE_SQL[name] as string, rows[0] as string[]),
    );
    i = j;
  }
  return parts;
}
