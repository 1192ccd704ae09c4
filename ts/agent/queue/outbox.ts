// The durable outbound event queue (RFC-0006 §6 ledger #7). Owns delivery of
// every agent event to POST /v1/agent/events: one file per event under
// `outbox/`, named by rollout and seq so enqueueing is idempotent; in-order
// delivery per rollout; retries of 5xx and network failures with exponential
// backoff and jitter, never of 4xx; a per-rollout journal of sent events
// (delivered and refused) for heartbeat replay. Must never change an event's seq or content.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AgentEvent } from '../../contracts/index.ts';
import { wakeOrAbort, type Clock } from '../clock.ts';
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.ts';
import { safeName } from '../state/store.ts';
import { backoffDelay } from './backoff.ts';

/** How one delivery attempt ended. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered' }
  /** A 4xx: the CP refused the event; it is dropped, never retried. */
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string }
  /** A 5xx or a network failure: retried with backoff. */
  | { readonly kind: 'retry'; readonly detail: string };

/** Sends one event to the CP. */
export type EventSender = (event: AgentEvent, signal: AbortSignal) => Promise<DeliveryOutcome>;

interface OutboxEntry {
  readonly enqueuedAt: number;
  readonly order: number;
  readonly event: AgentEvent;
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  readonly dir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly random?: () => number;
  /** Journals kept (most recent rollouts). */
  readonly keepJournals?: number;
}

function entryName(e: AgentEvent): string {
  return `${safeName(e.rollout_id)}__${String(e.seq).padStart(10, '0')}.json`;
}

function checkEntry(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const ev = (v as { event?: { rollout_id?: unknown; seq?: unknown } }).event;
  if (typeof ev !== 'object' || ev === null) return 'no event';
  if (typeof ev.rollout_id !== 'string' || typeof ev.seq !== 'number') return 'bad event';
  return null;
}

/** Durable outbound queue with a delivery loop. */
export class Outbox {
  private readonly queueDir: string;
  private readonly journalDir: string;
  private readonly opts: OutboxOptions;
  private readonly journaled = new Map<string, Set<number>>();
  private order = 0;
  private wake: (() => void) | null = null;
  /** Cuts the current backoff pause short (set only while pausing). */
  private cutBackoff: (() => void) | null = null;
  private attempt = 0;
  /** Counters for observability and tests. */
  readonly stats = { delivered: 0, rejected: 0, retries: 0 };

  constructor(options: OutboxOptions) {
    this.opts = options;
    this.queueDir = join(options.dir, 'outbox');
    this.journalDir = join(options.dir, 'journal');
    mkdirSync(this.queueDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.journalDir, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(this.journalDir)) {
      if (!f.endsWith('.jsonl') && !f.endsWith('.rejected')) continue;
      for (const ev of this.readJournalFile(join(this.journalDir, f))) this.markJournaled(ev);
    }
  }

  private markJournaled(ev: AgentEvent): void {
    let set = this.journaled.get(ev.rollout_id);
    if (!set) this.journaled.set(ev.rollout_id, (set = new Set()));
    set.add(ev.seq);
  }

  private readJournalFile(path: string): AgentEvent[] {
    const out: AgentEvent[] = [];
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return out;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const ev = JSON.parse(line) as AgentEvent;
        if (typeof ev.rollout_id === 'string' && typeof ev.seq === 'number') out.push(ev);
      } catch {
        // A torn last line after a crash: that event is still in the outbox.
      }
    }
    return out;
  }

  /**
   * Adds events durably. Idempotent: an event already queued or already
   * delivered (journaled) is skipped unless `force` (heartbeat replay).
   */
  enqueue(events: readonly AgentEvent[], options: { readonly force?: boolean } = {}): void {
    for (const event of events) {
      const path = join(this.queueDir, entryName(event));
      if (existsSync(path)) continue;
      if (!options.force && this.journaled.get(event.rollout_id)?.has(event.seq)) continue;
      const entry: OutboxEntry = { enqueuedAt: this.opts.clock.now(), order: this.order++, event };
      writeFileAtomic(path, JSON.stringify(entry));
    }
    if (events.length > 0) this.wake?.();
  }

  /** Events waiting for delivery, in delivery order. */
  pending(): AgentEvent[] {
    return this.entries().map((e) => e.entry.event);
  }

  private entries(): { file: string; entry: OutboxEntry }[] {
    const out: { file: string; entry: OutboxEntry }[] = [];
    for (const f of readdirSync(this.queueDir)) {
      if (!f.endsWith('.json')) continue;
      const path = join(this.queueDir, f);
      const r = readJsonFile<OutboxEntry>(path, checkEntry, this.opts.clock.now());
      if (r.kind === 'ok') out.push({ file: path, entry: r.value });
      else if (r.kind === 'corrupt') {
        this.opts.log.warn({ code: r.error.code, path, movedTo: r.movedTo }, r.error.message);
      }
    }
    // Per rollout, seq order; rollouts in the order they first appeared.
    const first = new Map<string, number>();
    for (const { entry } of out) {
      const r = entry.event.rollout_id;
      first.set(r, Math.min(first.get(r) ?? Infinity, entry.enqueuedAt));
    }
    const firstOf = (e: OutboxEntry): number => first.get(e.event.rollout_id) ?? 0;
    return out.sort(
      (a, b) =>
        firstOf(a.entry) - firstOf(b.entry) ||
        a.entry.event.rollout_id.localeCompare(b.entry.event.rollout_id) ||
        a.entry.event.seq - b.entry.event.seq,
    );
  }

  /**
   * Every event of a rollout the CP was sent, delivered or refused, with seq above
   * `afterSeq`, in seq order. Refused ones count: a replay request is the CP saying which
   * seq it holds, and an event it refused earlier may be one it lacked the state for — after
   * a database wipe the first events a host sends are refused ("no dispatch recorded") until
   * replay rebuilds the record, and without them the record never gets past the gap.
   */
  journal(rolloutId: string, afterSeq: number): AgentEvent[] {
    const base = join(this.journalDir, safeName(rolloutId));
    const bySeq = new Map<number, AgentEvent>();
    for (const e of [
      ...this.readJournalFile(`${base}.rejected`),
      ...this.readJournalFile(`${base}.jsonl`),
    ])
      if (e.seq > afterSeq) bySeq.set(e.seq, e);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Re-queues journaled events of a rollout with seq above `afterSeq` (heartbeat replay). */
  replay(rolloutId: string, afterSeq: number): number {
    const events = this.journal(rolloutId, afterSeq);
    const unique = new Map(events.map((e) => [e.seq, e]));
    this.enqueue([...unique.values()], { force: true });
    return unique.size;
  }

  private finish(file: string, event: AgentEvent, rejected = false): void {
    // Refused events go to their own file: they are never retried on their own
    // (a 4xx is final), but a heartbeat replay request re-sends them with the rest.
    const name = rejected
      ? `${safeName(event.rollout_id)}.rejected`
      : `${safeName(event.rollout_id)}.jsonl`;
    const journal = join(this.journalDir, name);
    appendFileSync(journal, `${JSON.stringify(event)}\n`, { mode: 0o600 });
    this.markJournaled(event);
    rmSync(file, { force: true });
  }

  private pruneJournals(): void {
    const keep = this.opts.keepJournals ?? 8;
    const files = readdirSync(this.journalDir)
      .filter((f) => f.endsWith('.jsonl') || f.endsWith('.rejected'))
      .map((f) => ({ f, m: statSync(join(this.journalDir, f)).mtimeMs }))
      .sort((a, b) => b.m - a.m);
    for (const { f } of files.slice(keep)) rmSync(join(this.journalDir, f), { force: true });
  }

  /**
   * Delivers until `signal` aborts: oldest first; the head is retried with
   * backoff on `retry` (nothing behind it overtakes it), dropped on `rejected`.
   */
  async run(send: EventSender, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.opts;
    while (!signal.aborted) {
      const head = this.entries()[0];
      if (!head) {
        await wakeOrAbort(signal, (wake) => {
          this.wake = wake;
        });
        this.wake = null;
        continue;
      }
      const { event } = head.entry;
      let outcome: DeliveryOutcome;
      try {
        outcome = await send(event, signal);
      } catch (e) {
        outcome = { kind: 'retry', detail: (e as Error).message };
      }
      if (signal.aborted) return;
      const ctx = { rolloutId: event.rollout_id, seq: event.seq, kind: event.kind };
      if (outcome.kind === 'delivered') {
        this.attempt = 0;
        this.stats.delivered++;
        this.finish(head.file, event);
        log.debug(ctx, 'event delivered');
        if (this.stats.delivered % 50 === 0) this.pruneJournals();
      } else if (outcome.kind === 'rejected') {
        this.attempt = 0;
        this.stats.rejected++;
        this.finish(head.file, event, true);
        log.warn(
          { ...ctx, status: outcome.status, code: 'AGENT_ERR_CP_STATUS', detail: outcome.detail },
          'control plane refused event; dropped (4xx is never retried)',
        );
      } else {
        this.stats.retries++;
        const delay = backoffDelay(this.attempt++, {
          baseMs: this.opts.backoffBaseMs,
          maxMs: this.opts.backoffMaxMs,
          random: this.opts.random,
        });
        log.info(
          { ...ctx, code: 'AGENT_ERR_CP_UNREACHABLE', detail: outcome.detail, retryInMs: delay },
          'event delivery failed; retrying',
        );
        const pause = new AbortController();
        const stop = (): void => pause.abort();
        signal.addEventListener('abort', stop, { once: true });
        this.cutBackoff = stop;
        await clock.sleep(delay, pause.signal);
        this.cutBackoff = null;
        signal.removeEventListener('abort', stop);
      }
    }
  }

  /**
   * The control plane answered another request (a heartbeat), so it is
   * reachable again: retry the head now instead of finishing a backoff pause
   * that may have grown to minutes while it was down. Without this, the
   * events a heartbeat asks the agent to replay wait behind that pause, and
   * the CP may give up on them and infer the host's state instead.
   */
  cpReachable(): void {
    if (this.cutBackoff === null) return;
    this.attempt = 0;
    this.cutBackoff();
  }
}
