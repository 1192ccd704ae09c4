// The read side shared by every storage backend: the SELECTs that load the
// mutator's state and read the event log, and the mapping of their rows
// (snake_case columns, JSON text) to the seam's types. Both schemas come
// from one migration list (migrations.ts), so one set of queries serves
// both; a backend only supplies the driver call and its placeholder syntax.
// Must never decide anything.
import type { HostRolloutState, RolloutRecord } from '../../core/index.ts';
import type { Dispatch } from '../../contracts/index.ts';
import type {
  EventRow,
  EventStream,
  OutboxRow,
  OutboxState,
  ProbeFailureRow,
  StoredState,
} from './types.ts';

/** The parameterless SELECT of each part of {@link StoredState}. */
export const LOAD_SQL = {
  hostRecords: 'SELECT record FROM host_rollout_records',
  rollouts: 'SELECT record, holds_channel FROM rollouts',
  quarantines: 'SELECT channel, closure_hash, quarantined_at FROM quarantined_closures',
  hosts:
    'SELECT hostname, last_heartbeat_at, current_closure, agent_version, uptime_secs FROM hosts',
  dispatches: 'SELECT hostname, payload FROM dispatch_queue',
  revocations: 'SELECT hostname, not_before, reason, revoked_by FROM cert_revocations',
  tokens:
    'SELECT nonce, hostname, used_at, expires_at, pubkey_fingerprint, issued_count FROM token_replay',
  highWater: 'SELECT channel, signed_at, signed_at_ms, release FROM artifact_high_water',
} as const;

/** Rows of every {@link LOAD_SQL} query, by part. */
export type LoadRows = {
  readonly [K in keyof typeof LOAD_SQL]: readonly Record<string, unknown>[];
};

const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null ? null : (v as string));
const num = (v: unknown): number => v as number;
const numOrNull = (v: unknown): number | null => (v === null ? null : (v as number));

/** Maps the loaded rows to the state the mutator keeps in memory. */
export function storedStateOf(rows: LoadRows): StoredState {
  return {
    hostRecords: rows.hostRecords.map((r) => JSON.parse(str(r['record'])) as HostRolloutState),
    rollouts: rows.rollouts.map((r) => ({
      record: JSON.parse(str(r['record'])) as RolloutRecord,
      holdsChannel: num(r['holds_channel']) === 1,
    })),
    quarantines: rows.quarantines.map((r) => ({
      channel: str(r['channel']),
      closure: str(r['closure_hash']),
      quarantinedAt: num(r['quarantined_at']),
    })),
    hosts: rows.hosts.map((r) => ({
      hostname: str(r['hostname']),
      lastHeartbeatAt: num(r['last_heartbeat_at']),
      currentClosure: strOrNull(r['current_closure']),
      agentVersion: strOrNull(r['agent_version']),
      uptimeSecs: numOrNull(r['uptime_secs']),
    })),
    dispatches: rows.dispatches.map((r) => ({
      hostname: str(r['hostname']),
      payload: JSON.parse(str(r['payload'])) as Dispatch,
    })),
    revocations: rows.revocations.map((r) => ({
      hostname: str(r['hostname']),
      notBefore: num(r['not_before']),
      reason: strOrNull(r['reason']),
      revokedBy: strOrNull(r['revoked_by']),
    })),
    tokens: rows.tokens.map((r) => ({
      nonce: str(r['nonce']),
      hostname: str(r['hostname']),
      usedAt: num(r['used_at']),
      expiresAt: num(r['expires_at']),
      fingerprint: strOrNull(r['pubkey_fingerprint']),
      issued: num(r['issued_count']),
    })),
    highWater: rows.highWater.map((r) => ({
      channel: str(r['channel']),
      signedAt: str(r['signed_at']),
      signedAtMs: num(r['signed_at_ms']),
      release: str(r['release']),
    })),
  };
}

/** Columns of an event_log row, in the order the event SELECTs name them. */
export const EVENT_COLUMNS =
  'seq, recorded_at, stream, rollout_id, hostname, agent_seq, kind, body';

/** Maps an event_log row. */
export function eventOf(r: Record<string, unknown>): EventRow {
  return {
    seq: num(r['seq']),
    recordedAt: num(r['recorded_at']),
    stream: r['stream'] as EventStream,
    rolloutId: strOrNull(r['rollout_id']),
    hostname: strOrNull(r['hostname']),
    agentSeq: numOrNull(r['agent_seq']),
    kind: str(r['kind']),
    body: JSON.parse(str(r['body'])) as unknown,
  };
}

/** Columns of a probe_failures row, in the order its SELECT names them. */
export const PROBE_FAILURE_COLUMNS =
  'rollout_id, hostname, probe_name, control_id, framework, article, reason, observed_at, event_log_seq';

/** Maps a probe_failures row. */
export function probeFailureOf(r: Record<string, unknown>): ProbeFailureRow {
  return {
    rolloutId: str(r['rollout_id']),
    hostname: str(r['hostname']),
    probe: str(r['probe_name']),
    controlId: strOrNull(r['control_id']),
    framework: strOrNull(r['framework']),
    article: strOrNull(r['article']),
    reason: strOrNull(r['reason']),
    observedAt: num(r['observed_at']),
    eventLogSeq: numOrNull(r['event_log_seq']),
  };
}

/**
 * The pending outbox rows, soonest due first; rows due together in the order
 * of the events that caused them, so both backends deliver alike (one `?`
 * placeholder: the limit).
 */
export const PENDING_NOTIFICATIONS_SQL =
  "SELECT dedupe_id, sink, payload, created_at, state, attempts, next_attempt_at, last_error FROM notification_outbox WHERE state = 'pending' ORDER BY next_attempt_at ASC, created_at ASC, event_log_seq ASC NULLS LAST, dedupe_id ASC, sink ASC LIMIT ?";

/** Maps a notification_outbox row. */
export function outboxRowOf(r: Record<string, unknown>): OutboxRow {
  return {
    dedupeId: str(r['dedupe_id']),
    sink: str(r['sink']),
    payload: JSON.parse(str(r['payload'])) as OutboxRow['payload'],
    createdAt: num(r['created_at']),
    state: str(r['state']) as OutboxState,
    attempts: num(r['attempts']),
    nextAttemptAt: num(r['next_attempt_at']),
    lastError: strOrNull(r['last_error']),
  };
}
