// The PostgreSQL text of every write statement. Derived from the SQLite
// statements (sqlite-ops.ts WRITE_SQL) so both backends write the same rows
// by the same rules (upsert columns, COALESCE of back-references, the
// high-water guard, the retention guard): `?` placeholders become `$n`, and
// the few statements in SQLite-only syntax are given here in full.
import { WRITE_SQL } from './sqlite-ops.ts';

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
