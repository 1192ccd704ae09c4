// One group commit in the making: the write ops of every command the mutator
// ran since the last commit, the callbacks to run once they are durable, the
// state changes to publish to the committed view then (sealed by the
// mutator), and
// the bridge from the core's reference applier to those ops. `applyCore`
// runs one core application against the model and turns the log entries it
// appended into event_log rows and the records it touched into derived-view
// upserts that reference those rows — all in the same batch, hence the same
// transaction. On a core rejection it restores the model exactly.
import {
  rolloutNotifications,
  type ApplyResult,
  type FleetModel,
  type LogEntry,
  type RolloutEvent,
} from '../../core/index.ts';
import type { Notification } from '../../contracts/index.ts';
import type { EventRow, WriteOp } from '../storage/types.ts';
import type { Change } from './committed.ts';
import type { CpState } from './state.ts';

/** A notification staged by a command, with the event_log row that caused it. */
export interface StagedNotification {
  readonly notification: Notification;
  readonly eventRef: number | null;
  readonly recordedAt: number;
}

/** Write ops and post-commit callbacks of one group commit. */
export class Batch {
  readonly ops: WriteOp[] = [];
  readonly after: (() => void)[] = [];
  /**
   * Notifications the batch's events produce; the mutator turns them into
   * outbox rows of the same transaction (runtime/notify-stage.ts).
   */
  readonly notifications: StagedNotification[] = [];
  /** The state's recorded changes, sealed once every command of the batch ran. */
  changes: readonly Change[] = [];
  private nextId = 1;

  /** Appends an event_log row; returns its local id for back-references. */
  appendEvent(row: EventRow): number {
    const id = this.nextId++;
    this.ops.push({ op: 'appendEvent', id, row });
    return id;
  }

  /**
   * Replaces the body of the event_log row appended as `id` in this batch
   * (the row is still unwritten); returns false when no such row exists.
   */
  amendEvent(id: number, body: (old: unknown) => unknown): boolean {
    const i = this.ops.findLastIndex((o) => o.op === 'appendEvent' && o.id === id);
    const o = this.ops[i];
    if (o === undefined || o.op !== 'appendEvent') return false;
    this.ops[i] = { ...o, row: { ...o.row, body: body(o.row.body) } };
    return true;
  }

  push(op: WriteOp): void {
    this.ops.push(op);
  }

  /** Runs `fn` after the batch is durable. */
  afterCommit(fn: () => void): void {
    this.after.push(fn);
  }

  /** Stages a notification caused by the event_log row `eventRef` of this batch. */
  notify(notification: Notification, eventRef: number | null, recordedAt: number): void {
    this.notifications.push({ notification, eventRef, recordedAt });
  }

  /** A mark to roll back to if a command fails half-way. */
  mark(): { ops: number; after: number; notifications: number } {
    return {
      ops: this.ops.length,
      after: this.after.length,
      notifications: this.notifications.length,
    };
  }

  rollback(m: { ops: number; after: number; notifications: number }): void {
    this.ops.length = m.ops;
    this.after.length = m.after;
    this.notifications.length = m.notifications;
  }
}

/** Event-log refs produced by one core application. */
export interface CoreRefs {
  /** Ref of the last host-stream row, by `rolloutId\0hostname`. */
  readonly host: Map<string, number>;
  /** Ref of the last rollout-stream row, by rolloutId. */
  readonly rollout: Map<string, number>;
}

function rolloutIdOfEvent(e: RolloutEvent): string {
  return e.kind === 'SuccessorOpened' ? e.supersededRolloutId : e.rolloutId;
}

function agentSeqOf(entry: LogEntry): number | null {
  if (entry.stream !== 'host') return null;
  const e = entry.event as { seq?: number | null };
  return entry.event.kind === 'RemoteDispatchIssued' ? null : (e.seq ?? null);
}

/** Key of a host record in {@link CoreRefs.host}. */
export function hostKey(rolloutId: string, hostname: string): string {
  return `${rolloutId}\u0000${hostname}`;
}

/**
 * Runs one core application (`applyHostEvent` / `applyPlanAction`) on the
 * state's model, with exact rollback on rejection, and records its log
 * entries and touched records in the batch.
 *
 * @example const r = applyCore(state, batch, { rolloutId, hostname }, (m) => applyHostEvent(m, ...), now);
 */
export function applyCore(
  state: CpState,
  batch: Batch,
  touches: { readonly rolloutId: string; readonly hostname: string } | null,
  run: (model: FleetModel) => ApplyResult,
  recordedAt: number,
): { result: ApplyResult; refs: CoreRefs } {
  const refs: CoreRefs = { host: new Map(), rollout: new Map() };
  // The book is replaced, never mutated, by the core: this is the "before".
  const bookBefore = state.book;
  const { result, entries } = state.applyCore(touches, run);
  if (!result.ok) return { result, refs };
  const hostTouched = new Set<string>();
  const rolloutEvents = new Map<string, RolloutEvent[]>();
  for (const entry of entries) {
    if (entry.stream === 'host') {
      const id = batch.appendEvent({
        recordedAt,
        stream: 'host',
        rolloutId: entry.rolloutId,
        hostname: entry.hostname,
        agentSeq: agentSeqOf(entry),
        kind: entry.event.kind,
        body: entry,
      });
      const k = hostKey(entry.rolloutId, entry.hostname);
      refs.host.set(k, id);
      hostTouched.add(k);
    } else {
      const rid = rolloutIdOfEvent(entry.event);
      const id = batch.appendEvent({
        recordedAt,
        stream: 'rollout',
        rolloutId: rid,
        hostname:
          entry.event.kind === 'HostJoined' || entry.event.kind === 'HostStateChanged'
            ? entry.event.hostname
            : null,
        agentSeq: null,
        kind: entry.event.kind,
        body: entry,
      });
      refs.rollout.set(rid, id);
      if (entry.event.kind === 'RolloutOpened') refs.rollout.set(entry.event.rolloutId, id);
      const own = entry.event.kind === 'SuccessorOpened' ? null : entry.event.rolloutId;
      if (own !== null) {
        const list = rolloutEvents.get(own) ?? [];
        list.push(entry.event);
        rolloutEvents.set(own, list);
      }
    }
  }
  for (const k of hostTouched) {
    const [rolloutId, hostname] = k.split('\u0000') as [string, string];
    const rec = state.record(rolloutId, hostname);
    if (rec !== undefined) {
      batch.push({ op: 'upsertHostRecord', record: rec, eventRef: refs.host.get(k) ?? null });
    }
  }
  const book = state.book;
  for (const [rid, ref] of refs.rollout) {
    const rec = book.rollouts[rid];
    if (rec === undefined) continue;
    batch.push({
      op: 'upsertRollout',
      record: rec,
      holdsChannel: book.activeByChannel[rec.channel] === rid,
      eventRef: ref,
    });
  }
  for (const [rid, events] of rolloutEvents) {
    const made = rolloutNotifications({
      rolloutId: rid,
      events,
      before: bookBefore.rollouts[rid],
      after: book.rollouts[rid],
      recordedAt,
    });
    for (const n of made) batch.notify(n, refs.rollout.get(rid) ?? null, recordedAt);
  }
  return { result, refs };
}
