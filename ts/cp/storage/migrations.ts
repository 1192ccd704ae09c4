// Versioned schema of every storage backend. Owns the DDL and the storage
// purity rule (Boundary contracts §IV): every column carries a comment saying
// it is derivable (from signed artifacts in git, from agent events or
// heartbeats, or from event_log) or on the accepted-loss list. A column with
// neither is a contract violation. Migrations are append-only: never edit a
// shipped one, add the next.
//
// One list for both backends, written in SQLite's dialect: the PostgreSQL
// text of a migration is derived from it by {@link postgresSql} (integer
// widths, identity keys), so the two schemas cannot drift apart column by
// column. A migration whose statements do not translate (SQLite-only syntax)
// carries its PostgreSQL text in `postgres`, statement for statement.
//
// Table classes (RFC-0008 §6.2): event_log canonical; host_rollout_records
// reducer cache; rollouts, quarantined_closures, probe_failures derived views
// with event_log_seq back-references written in the same transaction as the
// event_log row; dispatch_queue and notification_outbox outbound work; token_replay and
// cert_revocations and artifact_high_water the security-lookup exceptions; hosts liveness cache.

/** One migration: its version and the statements that bring the schema there. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The statements in SQLite's dialect. */
  readonly sql: string;
  /** The same statements for PostgreSQL, when {@link postgresSql} cannot derive them. */
  readonly postgres?: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema (RFC-0008 §6.2 tables)',
    sql: `
CREATE TABLE event_log (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- derivable: position in the event stream re-ingested after a wipe (heartbeat replay)
  recorded_at  INTEGER NOT NULL,  -- derivable: CP clock at ingest; accepted loss for rows > 30 days (contracts §IV)
  stream       TEXT NOT NULL CHECK (stream IN ('host','rollout','bootstrap','agent','cp')), -- derivable: kind of the input
  rollout_id   TEXT,              -- derivable: from the agent event / signed manifest id
  hostname     TEXT,              -- derivable: from the agent event (equals the cert CN)
  agent_seq    INTEGER,           -- derivable: from the agent event (agents replay with the same seq)
  kind         TEXT NOT NULL,     -- derivable: from the agent event or the planner action
  body         TEXT NOT NULL      -- derivable: the agent event / reducer input; history > 30 days is accepted loss
);
CREATE UNIQUE INDEX event_log_agent_dedupe ON event_log(hostname, rollout_id, agent_seq)
  WHERE stream = 'host' AND agent_seq IS NOT NULL;
CREATE INDEX event_log_rollout ON event_log(rollout_id, seq);
CREATE INDEX event_log_recorded ON event_log(recorded_at);

CREATE TABLE host_rollout_records (
  rollout_id      TEXT NOT NULL,     -- derivable: signed manifest id
  hostname        TEXT NOT NULL,     -- derivable: signed manifest hostSet
  channel         TEXT NOT NULL,     -- derivable: signed manifest
  state           TEXT NOT NULL,     -- derivable: fold of event_log (agent events replayed after a wipe)
  target_closure  TEXT NOT NULL,     -- derivable: signed manifest hostSet[].targetClosure
  last_event_seq  INTEGER NOT NULL,  -- derivable: highest agent seq folded (heartbeat last_event_seq_by_rollout)
  event_log_seq   INTEGER REFERENCES event_log(seq), -- derivable: the event_log row that produced this state
  record          TEXT NOT NULL,     -- derivable: the host reducer's record, a fold of event_log
  PRIMARY KEY (rollout_id, hostname)
);
CREATE INDEX host_rollout_records_host ON host_rollout_records(hostname);
CREATE INDEX host_rollout_records_state ON host_rollout_records(state);

CREATE TABLE rollouts (
  rollout_id   TEXT PRIMARY KEY,   -- derivable: <channel>@<channelRef> of the signed manifest
  channel      TEXT NOT NULL,      -- derivable: signed manifest
  target_ref   TEXT NOT NULL,      -- derivable: signed manifest channelRef
  state        TEXT NOT NULL CHECK (state IN ('Opening','Active','Converging','Terminal','Reverted','Failed','Superseded','Pruned')), -- derivable: fold of event_log
  current_wave INTEGER NOT NULL DEFAULT 0, -- derivable: fold of event_log
  holds_channel INTEGER NOT NULL DEFAULT 0, -- derivable: the rollout book's per-channel index (fold of event_log)
  opened_event_log_seq INTEGER REFERENCES event_log(seq),          -- derivable: event_log back-reference
  last_transition_event_log_seq INTEGER REFERENCES event_log(seq), -- derivable: event_log back-reference
  opened_at    INTEGER NOT NULL,   -- derivable: fold of event_log (reopened on the first tick after a wipe)
  terminal_at  INTEGER,            -- derivable: fold of event_log
  superseded_at INTEGER,           -- derivable: fold of event_log
  record       TEXT NOT NULL       -- derivable: the rollout reducer's record, a fold of event_log
);
CREATE INDEX rollouts_channel_state ON rollouts(channel, state);

CREATE TABLE quarantined_closures (
  channel        TEXT NOT NULL,    -- derivable: RollbackComplete events (event_log)
  closure_hash   TEXT NOT NULL,    -- derivable: the reverted host's target closure (signed manifest)
  quarantined_at INTEGER NOT NULL, -- derivable: event_log recorded_at of the trigger
  triggering_event_log_seq INTEGER REFERENCES event_log(seq), -- derivable: event_log back-reference
  PRIMARY KEY (channel, closure_hash)
);

CREATE TABLE probe_failures (
  id            INTEGER PRIMARY KEY AUTOINCREMENT, -- derivable: row identity of the view
  rollout_id    TEXT NOT NULL,    -- derivable: ProbeResult events (event_log)
  hostname      TEXT NOT NULL,    -- derivable: ProbeResult events
  probe_name    TEXT NOT NULL,    -- derivable: ProbeResult events
  control_id    TEXT,             -- derivable: ProbeResult sub_results
  framework     TEXT,             -- derivable: ProbeResult sub_results
  observed_at   INTEGER NOT NULL, -- derivable: ProbeResult observed_at
  event_log_seq INTEGER NOT NULL REFERENCES event_log(seq) -- derivable: event_log back-reference, same transaction
);
CREATE INDEX probe_failures_rollout ON probe_failures(rollout_id, hostname);

CREATE TABLE dispatch_queue (
  hostname      TEXT PRIMARY KEY,  -- derivable: planner output (re-planned on the next tick)
  rollout_id    TEXT NOT NULL,     -- derivable: planner output
  payload       TEXT NOT NULL,     -- derivable: planner output (RemoteQueueDispatch effect)
  event_log_seq INTEGER REFERENCES event_log(seq) -- derivable: the dispatch's event_log row
);

CREATE TABLE hosts (
  hostname          TEXT PRIMARY KEY, -- derivable: agent heartbeat
  last_heartbeat_at INTEGER NOT NULL, -- derivable: agent heartbeat (next one within 60 s)
  current_closure   TEXT,             -- derivable: agent heartbeat
  agent_version     TEXT,             -- derivable: agent heartbeat
  uptime_secs       INTEGER           -- derivable: agent heartbeat
);

CREATE TABLE token_replay (
  nonce      TEXT PRIMARY KEY,  -- security lookup (accepted loss: replay bounded by the signed nonce allowlist's expiresAt)
  hostname   TEXT NOT NULL,     -- security lookup (accepted loss, same bound)
  used_at    INTEGER NOT NULL,  -- security lookup (accepted loss, same bound)
  expires_at INTEGER NOT NULL   -- derivable: signed bootstrap-nonces allowlist entry; TTL for pruning
);

CREATE TABLE cert_revocations (
  hostname   TEXT PRIMARY KEY,  -- derivable: signed revocations.json sidecar (replayed on every adoption)
  not_before INTEGER NOT NULL,  -- derivable: signed revocations.json sidecar
  reason     TEXT,              -- derivable: signed revocations.json sidecar
  revoked_by TEXT               -- derivable: signed revocations.json sidecar
);
`,
  },
  {
    version: 2,
    name: 'token_replay binds the enrolled key and counts re-issues (lost enroll responses)',
    sql: `
ALTER TABLE token_replay ADD COLUMN pubkey_fingerprint TEXT; -- security lookup (accepted loss, same bound): key the token was first used with; only it may retry
ALTER TABLE token_replay ADD COLUMN issued_count INTEGER NOT NULL DEFAULT 1; -- security lookup (accepted loss, same bound): certificates issued for the token (1 + re-issues)
`,
  },
  {
    version: 3,
    name: 'one event_log row per agent event: unique (hostname, rollout_id, agent_seq) on every stream',
    // Rows an agent retried before this key existed (events the host reducer
    // does not fold, such as ClosureQuarantined, were stored once per retry)
    // collapse onto the first one; references to a dropped row move to it.
    sql: `
CREATE TEMP TABLE event_log_dupes AS
  SELECT seq AS dup, keep FROM (
    SELECT seq, MIN(seq) OVER (PARTITION BY hostname, rollout_id, agent_seq) AS keep
    FROM event_log
    WHERE agent_seq IS NOT NULL AND hostname IS NOT NULL AND rollout_id IS NOT NULL
  ) WHERE seq <> keep;
UPDATE host_rollout_records SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE rollouts SET opened_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = opened_event_log_seq)
  WHERE opened_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE rollouts SET last_transition_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = last_transition_event_log_seq)
  WHERE last_transition_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE quarantined_closures SET triggering_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = triggering_event_log_seq)
  WHERE triggering_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE probe_failures SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE dispatch_queue SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
DELETE FROM event_log WHERE seq IN (SELECT dup FROM event_log_dupes);
DROP TABLE event_log_dupes;
DROP INDEX event_log_agent_dedupe;
CREATE UNIQUE INDEX event_log_agent_event ON event_log(hostname, rollout_id, agent_seq)
  WHERE agent_seq IS NOT NULL;
`,
    // PostgreSQL (before 16) wants the derived table named; otherwise the same.
    postgres: `
CREATE TEMP TABLE event_log_dupes AS
  SELECT seq AS dup, keep FROM (
    SELECT seq, MIN(seq) OVER (PARTITION BY hostname, rollout_id, agent_seq) AS keep
    FROM event_log
    WHERE agent_seq IS NOT NULL AND hostname IS NOT NULL AND rollout_id IS NOT NULL
  ) AS numbered WHERE seq <> keep;
UPDATE host_rollout_records SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE rollouts SET opened_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = opened_event_log_seq)
  WHERE opened_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE rollouts SET last_transition_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = last_transition_event_log_seq)
  WHERE last_transition_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE quarantined_closures SET triggering_event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = triggering_event_log_seq)
  WHERE triggering_event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE probe_failures SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
UPDATE dispatch_queue SET event_log_seq = (SELECT keep FROM event_log_dupes WHERE dup = event_log_seq)
  WHERE event_log_seq IN (SELECT dup FROM event_log_dupes);
DELETE FROM event_log WHERE seq IN (SELECT dup FROM event_log_dupes);
DROP TABLE event_log_dupes;
DROP INDEX event_log_agent_dedupe;
CREATE UNIQUE INDEX event_log_agent_event ON event_log(hostname, rollout_id, agent_seq)
  WHERE agent_seq IS NOT NULL;
`,
  },
  {
    version: 4,
    name: 'artifact_high_water: newest adopted signedAt per channel (rollback refusal)',
    sql: `
CREATE TABLE artifact_high_water (
  channel      TEXT PRIMARY KEY,  -- security lookup (re-learned after a wipe from the newest verified release: the CP's release copy, else the source)
  signed_at    TEXT NOT NULL,     -- derivable: meta.signedAt of the newest adopted signed fleet.resolved naming the channel
  signed_at_ms INTEGER NOT NULL,  -- derivable: signed_at as epoch ms (ordering)
  release      TEXT NOT NULL      -- derivable: meta.ciCommit of that fleet.resolved
);
`,
  },
  {
    version: 5,
    name: "probe_failures: the failing control's article and the probe's failure text (operator views)",
    sql: `
ALTER TABLE probe_failures ADD COLUMN article TEXT; -- derivable: ProbeResult sub_results
ALTER TABLE probe_failures ADD COLUMN reason TEXT;  -- derivable: ProbeResult failure_reason
`,
  },
  {
    version: 6,
    name: 'notification_outbox: notifications to deliver, written with the event that causes them',
    sql: `
CREATE TABLE notification_outbox (
  dedupe_id       TEXT NOT NULL,     -- derivable: from the event_log row that caused it (contracts/notification.nix id)
  sink            TEXT NOT NULL,     -- derivable: the configured sink (--notify-* flags)
  payload         TEXT NOT NULL,     -- derivable: the core's notification of the event_log row
  created_at      INTEGER NOT NULL,  -- derivable: event_log recorded_at of the cause
  state           TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')), -- derivable: delivery progress; a lost value re-sends with the same dedupe id (at-least-once)
  attempts        INTEGER NOT NULL DEFAULT 0, -- derivable: delivery progress (as state)
  next_attempt_at INTEGER NOT NULL,  -- derivable: delivery progress (backoff; as state)
  last_error      TEXT,              -- derivable: delivery progress (as state)
  finished_at     INTEGER,           -- derivable: delivery progress (as state)
  event_log_seq   INTEGER REFERENCES event_log(seq), -- derivable: the event_log row that caused it, same transaction
  PRIMARY KEY (dedupe_id, sink)
);
CREATE INDEX notification_outbox_pending ON notification_outbox(state, next_attempt_at);
`,
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * The PostgreSQL text of a migration: its `postgres` override, else its
 * SQLite text with SQLite's integer types widened (epoch milliseconds and
 * row ids exceed 32 bits) and AUTOINCREMENT keys made identity columns.
 *
 * @example postgresSql(MIGRATIONS[0]) // 'CREATE TABLE event_log (\n  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ...'
 */
export function postgresSql(m: Migration): string {
  if (m.postgres !== undefined) return m.postgres;
  return m.sql
    .replace(
      /\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g,
      'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    )
    .replace(/\bINTEGER\b/g, 'BIGINT');
}
