// Translation of the storage seam's write ops into SQLite statements: the
// SQL text of every write, and `toStatements`, which turns one batch into
// `[statement, params, localId]` triples that either thread can execute (the
// commit worker, or the main thread for `:memory:` databases). Coalesces
// upserts of the same host record or rollout within a batch: only the last
// state is written (it carries the newest event_log back-reference), so a
// batch of 256 events touching one rollout serialises that rollout once,
// not 256 times. Must preserve the order of every other op.
import { CpError } from '../errors.ts';
import type { WriteOp } from './types.ts';

/** SQL of every write statement, by name. */
export const WRITE_SQL: Readonly<Record<string, string>> = {
  appendEvent:
    'INSERT INTO event_log (recorded_at, stream, rollout_id, hostname, agent_seq, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  /** The stored row of an agent event whose append was a duplicate (see {@link duplicateOf}). */
  storedAgentEvent:
    'SELECT seq FROM event_log WHERE rollout_id = ? AND hostname = ? AND agent_seq = ?',
  upsertHostRecord: `INSERT INTO host_rollout_records (rollout_id, hostname, channel, state, target_closure, last_event_seq, event_log_seq, record)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (rollout_id, hostname) DO UPDATE SET channel = excluded.channel, state = excluded.state,
       target_closure = excluded.target_closure, last_event_seq = excluded.last_event_seq,
       event_log_seq = COALESCE(excluded.event_log_seq, host_rollout_records.event_log_seq), record = excluded.record`,
  upsertRollout: `INSERT INTO rollouts (rollout_id, channel, target_ref, state, current_wave, holds_channel, opened_event_log_seq,
       last_transition_event_log_seq, opened_at, terminal_at, superseded_at, record)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (rollout_id) DO UPDATE SET state = excluded.state, current_wave = excluded.current_wave,
       holds_channel = excluded.holds_channel,
       last_transition_event_log_seq = COALESCE(excluded.last_transition_event_log_seq, rollouts.last_transition_event_log_seq),
       terminal_at = excluded.terminal_at, superseded_at = excluded.superseded_at, record = excluded.record`,
  insertQuarantine:
    'INSERT OR IGNORE INTO quarantined_closures (channel, closure_hash, quarantined_at, triggering_event_log_seq) VALUES (?, ?, ?, ?)',
  deleteQuarantine: 'DELETE FROM quarantined_closures WHERE channel = ? AND closure_hash = ?',
  putDispatch: `INSERT INTO dispatch_queue (hostname, rollout_id, payload, event_log_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET rollout_id = excluded.rollout_id, payload = excluded.payload, event_log_seq = excluded.event_log_seq`,
  deleteDispatch: 'DELETE FROM dispatch_queue WHERE hostname = ? AND rollout_id = ?',
  upsertHost: `INSERT INTO hosts (hostname, last_heartbeat_at, current_closure, agent_version, uptime_secs) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at,
       current_closure = excluded.current_closure, agent_version = excluded.agent_version, uptime_secs = excluded.uptime_secs`,
  insertProbeFailure:
    'INSERT INTO probe_failures (rollout_id, hostname, probe_name, control_id, framework, article, reason, observed_at, event_log_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  putTokenUse: `INSERT INTO token_replay (nonce, hostname, used_at, expires_at, pubkey_fingerprint, issued_count)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (nonce) DO UPDATE SET issued_count = excluded.issued_count`,
  clearRevocations: 'DELETE FROM cert_revocations',
  insertRevocation:
    'INSERT OR REPLACE INTO cert_revocations (hostname, not_before, reason, revoked_by) VALUES (?, ?, ?, ?)',
  // Only ever forward: a stale batch cannot lower the mark.
  raiseHighWater: `INSERT INTO artifact_high_water (channel, signed_at, signed_at_ms, release) VALUES (?, ?, ?, ?)
     ON CONFLICT (channel) DO UPDATE SET signed_at = excluded.signed_at, signed_at_ms = excluded.signed_at_ms,
       release = excluded.release WHERE excluded.signed_at_ms > artifact_high_water.signed_at_ms`,
  // Retention prunes history, never the evidence behind current state: a
  // probe failure (history) goes with its event; an event that a host
  // record, a rollout, a quarantine or a queued dispatch still points at is
  // kept (deleting it would also break the foreign key and fail the commit).
  enqueueNotification: `INSERT INTO notification_outbox (dedupe_id, sink, payload, created_at, state, attempts, next_attempt_at, last_error, event_log_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_id, sink) DO NOTHING`,
  notificationAttempted:
    "UPDATE notification_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE dedupe_id = ? AND sink = ? AND state = 'pending'",
  notificationFinished:
    "UPDATE notification_outbox SET state = ?, attempts = ?, last_error = ?, finished_at = ? WHERE dedupe_id = ? AND sink = ? AND state = 'pending'",
  // Finished notifications are history; a pending one keeps its event.
  pruneNotifications: "DELETE FROM notification_outbox WHERE state <> 'pending' AND created_at < ?",
  pruneProbeFailures:
    'DELETE FROM probe_failures WHERE event_log_seq IN (SELECT seq FROM event_log WHERE recorded_at < ?)',
  pruneEvents: `DELETE FROM event_log WHERE recorded_at < ?
     AND seq NOT IN (SELECT event_log_seq FROM host_rollout_records WHERE event_log_seq IS NOT NULL)
     AND seq NOT IN (SELECT opened_event_log_seq FROM rollouts WHERE opened_event_log_seq IS NOT NULL)
     AND seq NOT IN (SELECT last_transition_event_log_seq FROM rollouts WHERE last_transition_event_log_seq IS NOT NULL)
     AND seq NOT IN (SELECT triggering_event_log_seq FROM quarantined_closures WHERE triggering_event_log_seq IS NOT NULL)
     AND seq NOT IN (SELECT event_log_seq FROM dispatch_queue WHERE event_log_seq IS NOT NULL)
     AND seq NOT IN (SELECT event_log_seq FROM notification_outbox WHERE event_log_seq IS NOT NULL)`,
  pruneTokens: 'DELETE FROM token_replay WHERE expires_at < ?',
};

/**
 * The parameters of `storedAgentEvent` for an `appendEvent` that stored
 * nothing (a second row of one agent event, which the unique key refuses):
 * references to it resolve to the row already stored.
 */
export function duplicateOf(params: readonly unknown[]): [unknown, unknown, unknown] {
  return [params[2], params[3], params[4]];
}

/** A reference to the event_log row appended by op `ref` of the same batch. */
export interface RowRef {
  readonly ref: number;
}

/** A bound statement parameter. */
export type Param = string | number | null | RowRef;

/** One statement: name in {@link WRITE_SQL}, parameters, local id of an appended row (0: none). */
export type Statement = readonly [name: string, params: readonly Param[], localId: number];

const refOf = (id: number | null): RowRef | null => (id === null ? null : { ref: id });

/**
 * Translates a batch into statements, coalescing repeated upserts of one
 * host record or rollout into the last one (with the newest non-null
 * back-reference), placed where the last one was.
 *
 * @example const stmts = toStatements(batch.ops); // [['appendEvent', [...], 1], ...]
 */
export function toStatements(ops: readonly WriteOp[]): Statement[] {
  try {
    return translate(ops);
  } catch (e) {
    // A body JSON cannot carry (a BigInt, a cycle): refused before any write.
    throw new CpError(
      'CP_ERR_STORAGE',
      `batch not storable: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
}

function translate(ops: readonly WriteOp[]): Statement[] {
  // Index of the last upsert per key, and the newest back-reference per key.
  const last = new Map<string, number>();
  const newestRef = new Map<string, number>();
  const keyOf = (o: WriteOp): string | null =>
    o.op === 'upsertHostRecord'
      ? `h\u0000${o.record.rolloutId}\u0000${o.record.hostname}`
      : o.op === 'upsertRollout'
        ? `r\u0000${o.record.rolloutId}`
        : null;
  ops.forEach((o, i) => {
    const k = keyOf(o);
    if (k === null) return;
    last.set(k, i);
    const ref = (o as { eventRef: number | null }).eventRef;
    if (ref !== null) newestRef.set(k, ref);
  });
  const out: Statement[] = [];
  ops.forEach((o, i) => {
    const k = keyOf(o);
    if (k !== null && last.get(k) !== i) return;
    const ref = k === null ? null : refOf(newestRef.get(k) ?? null);
    switch (o.op) {
      case 'appendEvent': {
        const r = o.row;
        out.push([
          'appendEvent',
          [
            r.recordedAt,
            r.stream,
            r.rolloutId,
            r.hostname,
            r.agentSeq,
            r.kind,
            JSON.stringify(r.body),
          ],
          o.id,
        ]);
        break;
      }
      case 'upsertHostRecord': {
        const rec = o.record;
        out.push([
          'upsertHostRecord',
          [
            rec.rolloutId,
            rec.hostname,
            rec.channel,
            rec.state,
            rec.targetClosure,
            rec.lastEventSeq,
            ref,
            JSON.stringify(rec),
          ],
          0,
        ]);
        break;
      }
      case 'upsertRollout': {
        const r = o.record;
        out.push([
          'upsertRollout',
          [
            r.rolloutId,
            r.channel,
            r.targetRef,
            r.state,
            r.currentWave,
            o.holdsChannel ? 1 : 0,
            ref,
            ref,
            r.openedAt,
            r.terminalAt,
            r.supersededAt,
            JSON.stringify(r),
          ],
          0,
        ]);
        break;
      }
      case 'insertQuarantine':
        out.push([
          'insertQuarantine',
          [o.row.channel, o.row.closure, o.row.quarantinedAt, refOf(o.eventRef)],
          0,
        ]);
        break;
      case 'deleteQuarantine':
        out.push(['deleteQuarantine', [o.channel, o.closure], 0]);
        break;
      case 'putDispatch':
        out.push([
          'putDispatch',
          [o.hostname, o.payload.rollout_id, JSON.stringify(o.payload), refOf(o.eventRef)],
          0,
        ]);
        break;
      case 'deleteDispatch':
        out.push(['deleteDispatch', [o.hostname, o.rolloutId], 0]);
        break;
      case 'upsertHost':
        out.push([
          'upsertHost',
          [
            o.row.hostname,
            o.row.lastHeartbeatAt,
            o.row.currentClosure,
            o.row.agentVersion,
            o.row.uptimeSecs,
          ],
          0,
        ]);
        break;
      case 'insertProbeFailure':
        out.push([
          'insertProbeFailure',
          [
            o.rolloutId,
            o.hostname,
            o.probe,
            o.controlId,
            o.framework,
            o.article,
            o.reason,
            o.observedAt,
            refOf(o.eventRef),
          ],
          0,
        ]);
        break;
      case 'putTokenUse':
        out.push([
          'putTokenUse',
          [
            o.row.nonce,
            o.row.hostname,
            o.row.usedAt,
            o.row.expiresAt,
            o.row.fingerprint,
            o.row.issued,
          ],
          0,
        ]);
        break;
      case 'replaceRevocations':
        out.push(['clearRevocations', [], 0]);
        for (const r of o.rows) {
          out.push(['insertRevocation', [r.hostname, r.notBefore, r.reason, r.revokedBy], 0]);
        }
        break;
      case 'raiseHighWater':
        out.push([
          'raiseHighWater',
          [o.row.channel, o.row.signedAt, o.row.signedAtMs, o.row.release],
          0,
        ]);
        break;
      case 'enqueueNotification': {
        const r = o.row;
        out.push([
          'enqueueNotification',
          [
            r.dedupeId,
            r.sink,
            JSON.stringify(r.payload),
            r.createdAt,
            r.state,
            r.attempts,
            r.nextAttemptAt,
            r.lastError,
            refOf(o.eventRef),
          ],
          0,
        ]);
        break;
      }
      case 'notificationAttempted':
        out.push([
          'notificationAttempted',
          [o.attempts, o.nextAttemptAt, o.lastError, o.dedupeId, o.sink],
          0,
        ]);
        break;
      case 'notificationFinished':
        out.push([
          'notificationFinished',
          [o.state, o.attempts, o.lastError, o.finishedAt, o.dedupeId, o.sink],
          0,
        ]);
        break;
      case 'pruneEvents':
        out.push(['pruneNotifications', [o.before], 0]);
        out.push(['pruneProbeFailures', [o.before], 0]);
        out.push(['pruneEvents', [o.before], 0]);
        break;
      case 'pruneTokens':
        out.push(['pruneTokens', [o.before], 0]);
        break;
    }
  });
  return out;
}
