// The notification outbox (docs/design/notifications.md). Staging: the
// mutator hands every batch to `stage`, which turns the notifications its
// commands produced into `notification_outbox` rows of the same batch — one
// per configured sink — so a notification exists exactly when the event
// that causes it is durable. Delivery: a loop outside the mutator reads the
// pending rows from storage (at start, so a restart delivers what was left,
// and after each commit that staged some), sends each to its sink with one
// attempt in flight per sink, and records the outcome through the mutator:
// delivered, retried after exponential backoff with jitter, or given up
// after `--notify-max-attempts` with a CP_ERR_NOTIFY_GAVE_UP log line.
// Delivery is at-least-once: a crash between a send and its record sends
// again with the same dedupe id. Must never make the mutator wait on a sink.
import { backoffMs, toRfc3339 } from '../../core/index.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type { Batch } from '../runtime/batch.ts';
import type { Mutator } from '../runtime/mutator.ts';
import type { OutboxRow, Storage } from '../storage/types.ts';
import type { NotifyConfig } from './config.ts';
import type { Sink, SinkName } from './sinks.ts';

/** What /healthz reports for one sink. */
export interface SinkHealth {
  readonly status: 'ok' | 'failing';
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
  readonly lastSuccessAt: string | null;
  readonly lastError: { readonly message: string; readonly at: string } | null;
  /** Attempts failed in a row (0 after a success). */
  readonly consecutiveFailures: number;
}

interface SinkStats {
  delivered: number;
  failed: number;
  attemptFailures: number;
  lastSuccessAt: number | null;
  lastError: { message: string; at: number } | null;
  consecutiveFailures: number;
}

/** Most pending rows held in memory; the rest are read once these drain. */
const WINDOW = 1_000;
/** Held-wave ids already staged this run (a tick re-sees them). */
const STAGED_MEMORY = 10_000;

const keyOf = (sink: string, id: string): string => `${sink}\u0000${id}`;

/** The outbox: staging inside the mutator, delivery outside it. */
export class NotificationOutbox {
  private readonly sinks: ReadonlyMap<string, Sink>;
  private readonly pending = new Map<string, OutboxRow>();
  /** Rows sent or being recorded: a storage read must not bring them back. */
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly stats = new Map<string, SinkStats>();
  private readonly staged = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** The last read filled the window: more rows wait in storage. */
  private more = false;
  private stopped = false;
  private readonly sends = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      readonly sinks: readonly Sink[];
      readonly storage: Storage;
      readonly mutator: Mutator;
      readonly log: Logger;
      readonly metrics: CpMetrics;
      readonly clock: Clock;
      readonly config: NotifyConfig;
      readonly random?: () => number;
    },
  ) {
    this.sinks = new Map(o.sinks.map((s) => [s.name, s]));
    for (const s of o.sinks) {
      this.stats.set(s.name, {
        delivered: 0,
        failed: 0,
        attemptFailures: 0,
        lastSuccessAt: null,
        lastError: null,
        consecutiveFailures: 0,
      });
    }
    this.registerMetrics();
  }

  /**
   * Called by the mutator once every command of a batch ran: the batch's
   * notifications become outbox rows of the same transaction.
   */
  stage(batch: Batch): void {
    if (batch.notifications.length === 0 || this.sinks.size === 0) return;
    let any = false;
    for (const s of batch.notifications) {
      const n = s.notification;
      if (n.kind === 'rollout_held') {
        if (this.staged.has(n.id)) continue;
        if (this.staged.size >= STAGED_MEMORY) this.staged.clear();
        this.staged.add(n.id);
      }
      for (const sink of this.sinks.keys()) {
        batch.push({
          op: 'enqueueNotification',
          row: {
            dedupeId: n.id,
            sink,
            payload: n,
            createdAt: s.recordedAt,
            state: 'pending',
            attempts: 0,
            nextAttemptAt: s.recordedAt,
            lastError: null,
          },
          eventRef: s.eventRef,
        });
        any = true;
      }
    }
    if (any) batch.afterCommit(() => this.wake());
  }

  /** Loads what a previous run left pending and starts delivering. */
  start(): void {
    this.wake();
  }

  /** Stops delivering; waits for attempts in flight (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.sends]);
    await Promise.allSettled([...this.sinks.values()].map((s) => s.close()));
  }

  /** Per-sink delivery health (for /healthz). */
  health(): Record<string, SinkHealth> {
    const out: Record<string, SinkHealth> = {};
    for (const [name, st] of this.stats) {
      out[name] = {
        status: st.consecutiveFailures > 0 ? 'failing' : 'ok',
        pending: this.pendingOf(name),
        delivered: st.delivered,
        failed: st.failed,
        lastSuccessAt: st.lastSuccessAt === null ? null : toRfc3339(st.lastSuccessAt),
        lastError:
          st.lastError === null
            ? null
            : { message: st.lastError.message, at: toRfc3339(st.lastError.at) },
        consecutiveFailures: st.consecutiveFailures,
      };
    }
    return out;
  }

  private pendingOf(sink: string): number {
    let n = 0;
    for (const r of this.pending.values()) if (r.sink === sink) n += 1;
    return n;
  }

  /** Re-reads pending rows (coalesced), then sends what is due. */
  private wake(): void {
    if (this.stopped) return;
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = this.refresh()
      .catch((e: unknown) => this.o.log.error({ err: e }, 'notification outbox read failed'))
      .finally(() => {
        this.refreshing = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.wake();
        } else this.pump();
      });
  }

  private async refresh(): Promise<void> {
    const rows = await this.o.storage.pendingNotifications({ limit: WINDOW });
    this.more = rows.length >= WINDOW;
    for (const r of rows) {
      const k = keyOf(r.sink, r.dedupeId);
      if (!this.sinks.has(r.sink) || this.busy.has(k) || this.pending.has(k)) continue;
      this.pending.set(k, r);
    }
  }

  /** Starts one send per idle sink whose earliest row is due; arms the timer for the rest. */
  private pump(): void {
    if (this.stopped) return;
    if (this.pending.size === 0 && this.more) {
      this.wake();
      return;
    }
    const now = this.o.clock.now();
    const next = new Map<string, OutboxRow>();
    for (const r of this.pending.values()) {
      if (this.inFlight.has(r.sink)) continue;
      const cur = next.get(r.sink);
      if (cur === undefined || r.nextAttemptAt < cur.nextAttemptAt) next.set(r.sink, r);
    }
    let soonest = Number.POSITIVE_INFINITY;
    for (const [sink, row] of next) {
      if (row.nextAttemptAt > now) {
        soonest = Math.min(soonest, row.nextAttemptAt);
        continue;
      }
      const p = this.attempt(sink, row).finally(() => {
        this.sends.delete(p);
        this.pump();
      });
      this.sends.add(p);
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (Number.isFinite(soonest)) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
        },
        Math.max(0, soonest - now),
      );
      this.timer.unref();
    }
  }

  private async attempt(sinkName: string, row: OutboxRow): Promise<void> {
    const sink = this.sinks.get(sinkName) as Sink;
    const st = this.stats.get(sinkName) as SinkStats;
    const k = keyOf(sinkName, row.dedupeId);
    const { config, log, mutator, clock } = this.o;
    this.inFlight.add(sinkName);
    this.busy.add(k);
    let error: string | null = null;
    try {
      await sink.send(row.payload, config.timeoutMs);
    } catch (e) {
      error = (e as Error).message || String(e);
    }
    this.inFlight.delete(sinkName);
    const now = clock.now();
    const attempts = row.attempts + 1;
    try {
      if (error === null) {
        this.pending.delete(k);
        st.delivered += 1;
        st.lastSuccessAt = now;
        st.consecutiveFailures = 0;
        await mutator.submit((b) =>
          b.push({
            op: 'notificationFinished',
            dedupeId: row.dedupeId,
            sink: sinkName,
            state: 'delivered',
            attempts,
            lastError: null,
            finishedAt: now,
          }),
        );
        return;
      }
      st.attemptFailures += 1;
      st.consecutiveFailures += 1;
      st.lastError = { message: error, at: now };
      if (attempts >= config.maxAttempts) {
        this.pending.delete(k);
        st.failed += 1;
        log.error(
          {
            code: 'CP_ERR_NOTIFY_GAVE_UP',
            sink: sinkName,
            notification: row.dedupeId,
            kind: row.payload.kind,
            attempts,
            lastError: error,
          },
          `notification not delivered to ${sinkName} after ${attempts} attempts; given up`,
        );
        await mutator.submit((b) =>
          b.push({
            op: 'notificationFinished',
            dedupeId: row.dedupeId,
            sink: sinkName,
            state: 'failed',
            attempts,
            lastError: error,
            finishedAt: now,
          }),
        );
        return;
      }
      const delay = backoffMs(
        attempts,
        { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs },
        (this.o.random ?? Math.random)(),
      );
      const retry: OutboxRow = { ...row, attempts, nextAttemptAt: now + delay, lastError: error };
      this.pending.set(k, retry);
      log.warn(
        { sink: sinkName, notification: row.dedupeId, attempts, retryInMs: delay, err: error },
        'notification delivery failed; will retry',
      );
      await mutator.submit((b) =>
        b.push({
          op: 'notificationAttempted',
          dedupeId: row.dedupeId,
          sink: sinkName,
          attempts,
          nextAttemptAt: retry.nextAttemptAt,
          lastError: error,
        }),
      );
    } catch (e) {
      // Recording failed (storage error, shutdown): the row stays pending in
      // storage and is sent again later — at-least-once.
      log.warn(
        { err: e, sink: sinkName, notification: row.dedupeId },
        'notification outcome not recorded',
      );
    } finally {
      this.busy.delete(k);
    }
  }

  private registerMetrics(): void {
    const { metrics } = this.o;
    const per = (f: (s: SinkStats, name: string) => number) => () =>
      [...this.stats].map(([name, s]) => [{ sink: name }, f(s, name)] as const);
    metrics.collect(
      'nixfleet_cp_notifications_delivered_total',
      'counter',
      'Notifications delivered, by sink.',
      per((s) => s.delivered),
    );
    metrics.collect(
      'nixfleet_cp_notifications_failed_total',
      'counter',
      'Notifications given up after --notify-max-attempts, by sink.',
      per((s) => s.failed),
    );
    metrics.collect(
      'nixfleet_cp_notification_attempt_failures_total',
      'counter',
      'Failed delivery attempts (retried or given up), by sink.',
      per((s) => s.attemptFailures),
    );
    metrics.collect(
      'nixfleet_cp_notifications_pending',
      'gauge',
      'Notifications waiting for delivery, by sink.',
      per((_s, name) => this.pendingOf(name)),
    );
    metrics.collect(
      'nixfleet_cp_notification_last_success_timestamp_seconds',
      'gauge',
      'Unix time of the last delivery, by sink (0: none since start).',
      per((s) => (s.lastSuccessAt === null ? 0 : s.lastSuccessAt / 1000)),
    );
  }

  /** The sinks' names. */
  get sinkNames(): readonly SinkName[] {
    return [...this.sinks.keys()] as SinkName[];
  }
}
