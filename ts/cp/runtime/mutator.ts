// The single mutator (RFC-0006 §7.2): one queue fed by every worker and
// route; commands run one at a time against the in-memory state, and every
// command that arrived within the group-commit window shares one durable
// transaction. A command's promise settles only after its writes are
// durable. Commits are pipelined one deep: while batch N's transaction waits
// for its fsync on the commit thread, batch N+1 already runs in memory (on
// top of N's effects), and is sent to storage only once N is durable — so
// the event loop never idles on an fsync while commands queue, and commits
// stay strictly ordered. If a commit fails the state is reloaded from
// storage, every command of that batch fails with CP_ERR_STORAGE, and so
// does every batch that already ran on top of it (it saw writes that never
// became durable). A batch's state changes reach the committed view
// (committed.ts) only once it is durable: readers outside the mutator never
// see a write a failed commit discards. Must never run two commands
// concurrently, acknowledge or publish before the commit, or commit out of
// order. If the reload itself fails (the database is unreachable), memory
// still holds the refused writes: no command runs until a reload succeeds —
// each new command first retries it, and fails with CP_ERR_STORAGE while it
// cannot — so nothing is acknowledged from memory that storage never held.
import { CpError, isCpError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type { Storage } from '../storage/types.ts';
import { Batch } from './batch.ts';
import type { CpState } from './state.ts';

/** A unit of work for the mutator. */
export type Command<T> = (batch: Batch) => T;

interface Job {
  /** performance.now() at submit: the queue wait feeds {@link Mutator.lagMs}. */
  readonly at: number;
  readonly run: Command<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Largest number of commands in one group commit: big enough to amortise the
 * fsync, small enough that one batch does not hold the event loop for long.
 */
const MAX_BATCH = 256;

/** Batches ahead of storage: the one committing and the one that ran during its fsync. */
const MAX_UNCOMMITTED = 2;

/** The single-writer queue. */
export class Mutator {
  private readonly queue: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private lag = 0;
  /** Batches run in memory whose commit has not settled (≤ {@link MAX_UNCOMMITTED}). */
  private uncommitted = 0;
  /** Settles when every batch sent so far has committed (never rejects). */
  private commitChain: Promise<void> = Promise.resolve();
  /** Bumped by a failed commit: batches run before the reload are refused. */
  private epoch = 0;
  /** A failed commit's state reload is in progress: no batch may run. */
  private reloading = false;
  /** Adds a batch's derived rows (the notification outbox) once its commands ran. */
  private stager: ((batch: Batch) => void) | null = null;
  /** Memory holds writes storage refused and no reload has succeeded since. */
  private stale = false;

  constructor(
    private readonly deps: {
      readonly state: CpState;
      readonly storage: Storage;
      readonly log: Logger;
      readonly metrics: CpMetrics;
      readonly groupCommitMs: number;
    },
  ) {}

  /**
   * Queues a command; resolves with its result once its writes are durable.
   *
   * @example const outcome = await mutator.submit((b) => ingestEvent(deps, b, { event, now }));
   */
  submit<T>(run: Command<T>): Promise<T> {
    if (this.stopped) {
      return Promise.reject(new CpError('CP_ERR_SHUTTING_DOWN', 'the mutator is stopped'));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        at: performance.now(),
        run,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.deps.metrics.queueDepth.set(this.queue.length);
      this.schedule();
    });
  }

  /**
   * Registers what turns a batch's staged notifications into rows of the
   * same transaction (notify/outbox.ts); without one they are dropped.
   */
  onBatch(stage: (batch: Batch) => void): void {
    this.stager = stage;
  }

  /**
   * Recent acknowledgement latency in ms: an exponentially weighted mean,
   * per batch, of how long its oldest command took from submit to durable
   * (queue wait, batch window, run, and the commit — with pipelining the
   * queue wait alone does not include the fsync). The dispatch pacer
   * holds new dispatches while it is high.
   */
  lagMs(): number {
    return this.lag;
  }

  /** Commands waiting. */
  depth(): number {
    return this.queue.length;
  }

  /** Stops accepting commands and resolves once the queue is drained. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** Resolves when the queue is empty and no batch is running. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0 && this.timer === null && this.uncommitted === 0) {
      return Promise.resolve();
    }
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (
      this.running ||
      this.reloading ||
      this.timer !== null ||
      this.uncommitted >= MAX_UNCOMMITTED
    ) {
      return;
    }
    const go = (): void => {
      this.timer = null;
      // Re-checked at fire time: a reload after a failed commit may have
      // started since, and no batch may run on the state it replaces.
      if (this.reloading || this.uncommitted >= MAX_UNCOMMITTED) return;
      if (this.stale) void this.recover();
      else this.drain();
    };
    this.timer =
      this.deps.groupCommitMs > 0 ? setTimeout(go, this.deps.groupCommitMs) : setTimeout(go, 0);
  }

  /**
   * Retries the reload a failed commit could not do; refuses every queued
   * command while storage stays unreachable.
   */
  private async recover(): Promise<void> {
    this.running = true;
    this.reloading = true;
    this.epoch += 1;
    try {
      await this.deps.state.loadFrom(this.deps.storage);
      this.stale = false;
      this.deps.log.info('state reloaded from storage; accepting commands again');
    } catch (e) {
      const err = isCpError(e)
        ? e
        : new CpError('CP_ERR_STORAGE', 'state reload failed', {}, { cause: e });
      const refused = this.queue.splice(0);
      this.deps.metrics.queueDepth.set(0);
      for (const job of refused) job.reject(err);
    } finally {
      this.reloading = false;
      this.running = false;
    }
    if (this.queue.length > 0) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (!this.running && this.timer === null && this.uncommitted === 0) {
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  private drain(): void {
    this.running = true;
    const jobs = this.queue.splice(0, MAX_BATCH);
    this.deps.metrics.queueDepth.set(this.queue.length);
    const batch = new Batch();
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let broken = false;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as Job;
      const mark = batch.mark();
      const changes = this.deps.state.changeMark();
      try {
        results.push({ ok: true, value: job.run(batch) });
      } catch (e) {
        batch.rollback(mark);
        this.deps.state.dropChanges(changes);
        results.push({ ok: false, error: e });
        if (isCpError(e)) continue;
        // An unexpected throw may have changed memory half-way: its writes
        // are rolled back, but the state it touched is not. The commands
        // after it must not build on that, so they go back to the queue,
        // and no batch runs until memory is reloaded from storage.
        this.deps.log.error({ err: e }, 'mutator command failed; reloading state after commit');
        this.queue.unshift(...jobs.splice(i + 1));
        broken = true;
        this.reloading = true;
        break;
      }
    }
    if (this.stager !== null) {
      try {
        this.stager(batch);
      } catch (e) {
        // Notifications are never worth a batch: log and commit without them.
        this.deps.log.error({ err: e }, 'notification staging failed');
      }
    }
    batch.changes = this.deps.state.takeChanges();
    const epoch = this.epoch;
    this.uncommitted += 1;
    const previous = this.commitChain;
    this.commitChain = previous.then(() => this.commitBatch(batch, jobs, results, epoch, broken));
    this.running = false;
    // Run the next batch now (it overlaps this one's fsync) unless one is
    // already waiting on a commit: at most two batches ahead of storage.
    if (this.queue.length > 0) this.schedule();
  }

  /** Commits one executed batch (after every earlier one) and settles its commands. */
  private async commitBatch(
    batch: Batch,
    jobs: readonly Job[],
    results: readonly ({ ok: true; value: unknown } | { ok: false; error: unknown })[],
    epoch: number,
    reload: boolean,
  ): Promise<void> {
    try {
      if (epoch !== this.epoch) {
        // Ran on top of a batch whose commit failed: its reads were never durable.
        const err = new CpError('CP_ERR_STORAGE', 'an earlier group commit failed');
        for (const job of jobs) job.reject(err);
        return;
      }
      const started = performance.now();
      let commitError: unknown = null;
      try {
        if (batch.ops.length > 0) await this.deps.storage.commit(batch.ops);
      } catch (e) {
        commitError = e;
      }
      this.deps.metrics.commitSeconds.observe((performance.now() - started) / 1000);
      this.deps.metrics.batchSize.observe(jobs.length);
      if (commitError !== null) {
        this.deps.log.error(
          { err: commitError, commands: jobs.length },
          'group commit failed; reloading state',
        );
        // Batches already run on top of this one are refused (epoch); the
        // reload happens before any later batch runs (it waits for a slot).
        this.epoch += 1;
        this.reloading = true;
        try {
          await this.deps.state.loadFrom(this.deps.storage);
        } catch (e) {
          this.stale = true;
          this.deps.log.fatal({ err: e }, 'state reload after a failed commit failed');
        } finally {
          this.reloading = false;
        }
        const err = isCpError(commitError)
          ? commitError
          : new CpError('CP_ERR_STORAGE', 'commit failed', {}, { cause: commitError });
        for (const job of jobs) job.reject(err);
        return;
      }
      if (!reload) this.deps.state.publish(batch.changes);
      else {
        // A command of this batch threw half-way (see drain): replace memory
        // (and the committed view) with what is now durable before anything
        // else runs.
        this.epoch += 1;
        try {
          await this.deps.state.loadFrom(this.deps.storage);
        } catch (e) {
          this.stale = true;
          this.deps.log.fatal({ err: e }, 'state reload after a failed command failed');
        } finally {
          this.reloading = false;
        }
      }
      for (const fn of batch.after) {
        try {
          fn();
        } catch (e) {
          this.deps.log.error({ err: e }, 'post-commit callback failed');
        }
      }
      const oldest = jobs[0];
      if (oldest !== undefined) {
        this.lag = 0.7 * this.lag + 0.3 * (performance.now() - oldest.at);
      }
      jobs.forEach((job, i) => {
        const r = results[i];
        if (r?.ok) job.resolve(r.value);
        else job.reject(r?.error);
      });
    } finally {
      this.uncommitted -= 1;
      if (this.queue.length > 0) this.schedule();
      else this.settleIdle();
    }
  }
}
