// The reducer loop (RFC-0006 §7.1): the single mutator of the agent's state.
// Workers post messages; the loop feeds them to core's pure `step` as host
// events (dispatches, activation and probe outcomes, timer ticks, the boot
// observation), commits the result in one durable snapshot (record,
// quarantine, deferral; the snapshot write is the commit point, its
// `pendingEmits` are re-enqueued after a crash), then applies the effects
// through the activation and probe ports. Every step goes the one way:
// `transition` (core) then `commit` (snapshot, outbox, effects). Must never
// perform a transition or build a wire event itself.
import type { Logger } from 'pino';
import type { Dispatch } from '../../contracts/index.ts';
import {
  failureQuarantines,
  isQuarantined,
  markReported,
  parseRfc3339,
  quarantineReport,
  recordFailure,
  step,
  type Effect,
  type HostEvent,
  type HostPolicy,
  type HostRolloutState,
  type LocalHostEvent,
  type OnHealthFailure,
} from '../../core/index.ts';
import type { ActivationPort, SavedActivation } from '../activation/port.ts';
import type { Clock } from '../clock.ts';
import type { AgentTimings } from '../config/config.ts';
import type { Outbox } from '../queue/outbox.ts';
import type { AgentSnapshot, StateStore } from '../state/store.ts';
import { deferral } from './deferral.ts';
import { applyEffect, emitsOf, type ProbeControl } from './effects.ts';
import { Inbox, type LoopMessage } from './messages.ts';

export type { ProbeControl } from './effects.ts';

/** Options of {@link HostLoop}. */
export interface HostLoopOptions {
  readonly hostname: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: StateStore;
  readonly outbox: Outbox;
  readonly timings: AgentTimings;
  readonly probes: ProbeControl;
  readonly activation: ActivationPort;
}

/** A step outcome the loop commits; fields left out keep their snapshot value. */
type Commit = Partial<
  Pick<
    AgentSnapshot,
    'record' | 'onHealthFailure' | 'lastDispatch' | 'retryableRefusals' | 'quarantine' | 'deferred'
  >
> & { readonly effects: readonly Effect[] };

type DispatchMessage = Extract<LoopMessage, { kind: 'dispatch' | 'refuse' }>;

/** Most rollouts whose last seq the snapshot keeps (heartbeat field). */
const SEQ_ROLLOUTS_KEPT = 16;

/** The single mutator. */
export class HostLoop {
  readonly inbox = new Inbox<LoopMessage>();
  private readonly o: HostLoopOptions;
  private snap: AgentSnapshot;
  private parked: DispatchMessage | null = null;
  /** `lastCpContactAt` as last written to disk. */
  private cpContactSavedAt: number | null;

  /** Loads (or migrates) the snapshot; throws AGENT_ERR_STATE_UNUSABLE on an unusable one. */
  constructor(options: HostLoopOptions) {
    this.o = options;
    this.snap = options.store.loadSnapshot();
    this.cpContactSavedAt = this.snap.lastCpContactAt;
    // Crash between the snapshot commit and the outbox write: enqueue again
    // (idempotent by rollout and seq).
    options.outbox.enqueue(this.snap.pendingEmits);
  }

  /** The current snapshot (read-only view for workers and tests). */
  get snapshot(): AgentSnapshot {
    return this.snap;
  }

  /** Whether a closure is locally quarantined now. */
  quarantined(closure: string): boolean {
    const { clock, timings } = this.o;
    return isQuarantined(this.snap.quarantine, closure, clock.now(), timings.quarantineWindowMs);
  }

  /**
   * Whether the loop already acted on this dispatch: it holds the rollout's
   * record, or it refused the rollout for good (a re-delivered dispatch is
   * not refused twice). A retryable refusal (manifest or closure
   * unavailable) only covers the very dispatch it refused: a re-dispatch of
   * the rollout is processed again.
   */
  handled(dispatch: Pick<Dispatch, 'rollout_id' | 'issued_at'>): boolean {
    const id = dispatch.rollout_id;
    if (this.snap.record?.rolloutId === id) return true;
    if (this.snap.lastSeqByRollout[id] === undefined) return false;
    const retryable = this.snap.retryableRefusals[id];
    return retryable === undefined || retryable === dispatch.issued_at;
  }

  /** Posts a message (workers call this). */
  post(message: LoopMessage): void {
    this.inbox.post(message);
  }

  /** Posts a local host event. */
  postHost(event: LocalHostEvent): void {
    this.inbox.post({ kind: 'host', event });
  }

  /**
   * Records that the CP answered (offline bookkeeping). Persisted at most
   * once per heartbeat interval, so the offline clock survives a restart
   * without a state write per request.
   */
  touchCp(at: number): void {
    this.snap = { ...this.snap, lastCpContactAt: at };
    const saved = this.cpContactSavedAt;
    if (saved === null || at - saved >= this.o.timings.heartbeatIntervalMs) this.save();
  }

  /**
   * Makes a launched switch durable (the activation port's `persist`), or
   * forgets it once it settled: written at once, before the switch's outcome
   * reaches the loop, so a restart resumes it instead of firing it again.
   */
  persistActivation(saved: SavedActivation | null): void {
    this.snap = { ...this.snap, activation: saved };
    this.save();
  }

  private save(): void {
    this.o.store.saveSnapshot(this.snap);
    this.cpContactSavedAt = this.snap.lastCpContactAt;
  }

  private policy(onHealthFailure: OnHealthFailure | null): HostPolicy {
    return {
      onHealthFailure: onHealthFailure ?? 'halt',
      sustainedFailureMs: this.o.timings.sustainedFailureMs,
      clockSkewSlackMs: this.o.timings.clockSkewSlackMs,
    };
  }

  /** Drains the inbox until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    for (;;) {
      const msg = await this.inbox.take(signal);
      if (msg === null) return;
      try {
        await this.handle(msg);
      } catch (e) {
        // A state write failing is the one thing the loop cannot absorb
        // silently; log loudly and keep serving (the next commit retries).
        this.o.log.error({ err: e, code: (e as { code?: string }).code }, 'reducer loop error');
      }
    }
  }

  /** Handles one message (exposed for tests that drive the loop directly). */
  async handle(msg: LoopMessage): Promise<void> {
    if (msg.kind === 'host') return this.handleHost(msg.event);
    if (this.o.activation.inFlight !== null) {
      // Never interrupt a switch or rollback: the newest dispatch waits.
      this.parked = msg;
      this.o.log.info(
        { rolloutId: msg.dispatch.rollout_id },
        'dispatch parked until activation settles',
      );
      return;
    }
    return this.handleDispatch(msg);
  }

  /**
   * The one way into core: `step` with the manifest's policy. A refusal is
   * logged (loud where it leaves the CP or the host without what it needs)
   * and yields `null`: nothing is committed.
   */
  private transition(
    record: HostRolloutState | null,
    event: HostEvent,
    onHealthFailure: OnHealthFailure | null,
  ): { readonly state: HostRolloutState; readonly effects: readonly Effect[] } | null {
    const r = step(record, event, this.o.clock.now(), this.policy(onHealthFailure));
    if (r.ok) return r;
    // A refused re-announcement leaves the CP without this host's state.
    const loud =
      event.kind === 'LocalReannounce'
        ? r.code !== 'CORE_ERR_DUPLICATE_SEQ'
        : event.kind === 'DispatchReceived' ||
          event.kind === 'LocalBootObserved' ||
          event.kind === 'LocalClosureQuarantined';
    this.o.log[loud ? 'warn' : 'debug'](
      {
        event: event.kind,
        rolloutId: record?.rolloutId ?? ('dispatch' in event ? event.dispatch.rolloutId : null),
        code: r.code,
        why: r.message,
      },
      'event not applicable',
    );
    return null;
  }

  /**
   * Feeds a dispatch (accepted by the worker's checks or refused by them) to
   * core. An accepted dispatch becomes the current record; a refused one
   * only emits its DispatchReject (and ClosureQuarantined): the host keeps
   * its generation, so the current record keeps describing it.
   */
  private async handleDispatch(msg: DispatchMessage): Promise<void> {
    const d = msg.dispatch;
    if (this.handled(d)) {
      this.o.log.debug({ rolloutId: d.rollout_id }, 'dispatch already handled');
      return;
    }
    const at = (s: string): number => parseRfc3339(s) ?? msg.receivedAt;
    const manifestTarget = msg.kind === 'dispatch' ? msg.manifestTarget : null;
    const onHealthFailure = msg.kind === 'dispatch' ? msg.onHealthFailure : null;
    const current = await this.o.activation.currentSystem();
    const r = this.transition(
      null,
      {
        kind: 'DispatchReceived',
        dispatch: {
          rolloutId: d.rollout_id,
          hostname: this.o.hostname,
          channel: d.channel,
          wave: d.wave,
          targetClosure: d.target_closure,
          soakDueAt: at(d.soak_due_at),
          confirmDeadline: at(d.confirm_deadline),
          issuedAt: at(d.issued_at),
          // A re-dispatch after a retryable refusal continues the rollout's
          // seq space above the events already sent.
          seq: Math.max(d.seq, this.snap.lastSeqByRollout[d.rollout_id] ?? 0),
        },
        manifestTarget,
        currentClosure: current,
        locallyQuarantined: manifestTarget !== null && this.quarantined(manifestTarget),
        refusal: msg.kind === 'refuse' ? { reason: msg.reason, detail: msg.detail } : null,
        at: msg.receivedAt,
      },
      onHealthFailure,
    );
    if (r === null) return;
    const retryableRefusals: Record<string, string> = { ...this.snap.retryableRefusals };
    delete retryableRefusals[d.rollout_id];
    if (r.state.state !== 'Failed') {
      if (this.snap.record !== null) this.o.probes.stop();
      void this.commit({
        record: r.state,
        onHealthFailure,
        lastDispatch: d,
        effects: r.effects,
        retryableRefusals,
      });
      return;
    }
    let effects = r.effects;
    let quarantine = this.snap.quarantine;
    if (r.state.rejectReason === 'Quarantined' && manifestTarget !== null) {
      const q = this.reportQuarantine(r.state, manifestTarget);
      effects = [...effects, ...q.effects];
      quarantine = q.quarantine;
    }
    if (msg.kind === 'refuse' && msg.retryable) retryableRefusals[d.rollout_id] = d.issued_at;
    this.o.log.warn(
      { rolloutId: d.rollout_id, reason: r.state.rejectReason },
      'dispatch refused; keeping the current generation',
    );
    void this.commit({ effects, retryableRefusals, quarantine });
  }

  /**
   * ClosureQuarantined for `record`'s rollout through core, if the repost
   * throttle allows; returns the record with its seq advanced and the
   * quarantine with the report stamped.
   */
  private reportQuarantine(
    record: HostRolloutState,
    closure: string,
    quarantine = this.snap.quarantine,
  ): { record: HostRolloutState; effects: readonly Effect[]; quarantine: typeof quarantine } {
    const now = this.o.clock.now();
    const report = quarantineReport(
      quarantine,
      closure,
      now,
      this.o.timings.quarantineRepostThrottleMs,
    );
    if (report === null) return { record, effects: [], quarantine };
    const r = this.transition(record, report, this.snap.onHealthFailure);
    if (r === null) return { record, effects: [], quarantine };
    return {
      record: r.state,
      effects: r.effects,
      quarantine: markReported(quarantine, closure, now),
    };
  }

  /**
   * A local event for the current record. Returns the effects' completion
   * (probe restarts), which only boot recovery waits for.
   */
  private async handleHost(event: LocalHostEvent): Promise<void> {
    const before = this.snap.record;
    if (before === null) return;
    const r = this.transition(before, event, this.snap.onHealthFailure);
    if (r === null || (r.state === before && r.effects.length === 0)) return;
    let record = r.state;
    let effects = r.effects;
    let quarantine = this.snap.quarantine;
    if (failureQuarantines(before, record)) {
      const { clock, timings } = this.o;
      quarantine = recordFailure(
        quarantine,
        before.targetClosure,
        clock.now(),
        timings.quarantineWindowMs,
      );
      const q = this.reportQuarantine(record, before.targetClosure, quarantine);
      record = q.record;
      effects = [...effects, ...q.effects];
      quarantine = q.quarantine;
    }
    const done = this.commit({
      record,
      effects,
      quarantine,
      deferred: deferral(before, record, this.snap.deferred),
    });
    const settled =
      event.kind === 'LocalActivationCompleted' ||
      event.kind === 'LocalActivationFailed' ||
      event.kind === 'LocalActivationDeferred' ||
      event.kind === 'LocalRollbackCompleted';
    if (settled && this.parked && !r.effects.some((e) => e.kind === 'LocalFireRollbackTo')) {
      const parked = this.parked;
      this.parked = null;
      this.inbox.post(parked);
    }
    if (event.kind === 'LocalBootObserved') await done;
  }

  /** Commit point: snapshot (with pending emits), outbox, then effects. */
  private commit(c: Commit): Promise<void> {
    const emits = emitsOf(c.effects, this.o.probes);
    const lastSeq: Record<string, number> = { ...this.snap.lastSeqByRollout };
    for (const ev of emits) lastSeq[ev.rollout_id] = Math.max(lastSeq[ev.rollout_id] ?? 0, ev.seq);
    const keys = Object.keys(lastSeq);
    for (const k of keys.slice(0, Math.max(0, keys.length - SEQ_ROLLOUTS_KEPT))) delete lastSeq[k];
    const { effects, ...fields } = c;
    this.snap = { ...this.snap, ...fields, lastSeqByRollout: lastSeq, pendingEmits: emits };
    this.save();
    this.o.outbox.enqueue(emits);
    const ports = { log: this.o.log, activation: this.o.activation, probes: this.o.probes };
    return Promise.all(effects.map((e) => applyEffect(e, this.snap, ports))).then(() => undefined);
  }

  /**
   * Boot recovery (RFC-0006 ledger #9): what the restarted agent observes
   * goes to core as `LocalBootObserved`; core emits what the CP missed and
   * says what to pick up again (host/boot.ts).
   */
  async recover(): Promise<void> {
    const rec = this.snap.record;
    if (rec === null) return;
    const current = await this.o.activation.currentSystem();
    const saved = this.snap.activation;
    this.o.log.info({ rolloutId: rec.rolloutId, state: rec.state, current }, 'boot recovery');
    await this.handleHost({
      kind: 'LocalBootObserved',
      current,
      inFlight:
        saved === null
          ? null
          : { kind: saved.kind, closure: saved.handle.closure, startedAt: saved.handle.startedAt },
      switchMethod: this.o.activation.switchMethod,
      at: this.o.clock.now(),
    });
  }
}
