// The reducer loop (RFC-0006 §7.1): the single mutator of the agent's state.
// Workers post messages; the loop feeds them to core's pure `step`, commits
// the result (snapshot + durable outbox: the snapshot write is the commit
// point, its `pendingEmits` are re-enqueued after a crash), then applies the
// effects. Owns the local quarantine file. Must never perform a transition
// or build a wire event itself: core decides and emits (with the seq), the
// loop records and applies.
import type { Logger } from 'pino';
import type { AgentEvent, Dispatch } from '../../contracts/index.ts';
import {
  parseRfc3339,
  step,
  type Effect,
  type HostPolicy,
  type HostRolloutState,
  type LocalHostEvent,
  type OnHealthFailure,
} from '../../core/index.ts';
import type { ActivationBackend } from '../activation/backend.ts';
import type { Clock } from '../clock.ts';
import type { AgentTimings } from '../config/config.ts';
import type { ProbeEvidence } from '../probes/evidence.ts';
import type { Outbox } from '../queue/outbox.ts';
import type { AgentSnapshot, QuarantineFile, StateStore } from '../state/store.ts';
import type { ActivationWorker } from '../workers/activation.ts';
import { Inbox, type LoopMessage } from './messages.ts';
import { isQuarantined, markReported, recordFailure, reportDue } from './quarantine.ts';

/** What the loop needs from the probe worker. */
export interface ProbeControl {
  reset(options: { readonly declare: boolean }): Promise<void>;
  stop(): void;
  evidenceFor(probe: string, at: number): ProbeEvidence | undefined;
}

/** Options of {@link HostLoop}. */
export interface HostLoopOptions {
  readonly hostname: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: StateStore;
  readonly outbox: Outbox;
  readonly backend: ActivationBackend;
  readonly timings: AgentTimings;
  readonly probes: ProbeControl;
  readonly activation: ActivationWorker;
}

/** A step outcome the loop commits. */
interface Commit {
  readonly record: HostRolloutState | null;
  readonly onHealthFailure: OnHealthFailure | null;
  readonly lastDispatch: Dispatch | null;
  readonly effects: readonly Effect[];
  readonly retryableRefusals?: Readonly<Record<string, string>>;
}

type DispatchMessage = Extract<LoopMessage, { kind: 'dispatch' | 'refuse' }>;

/** The single mutator. */
export class HostLoop {
  readonly inbox = new Inbox<LoopMessage>();
  private readonly o: HostLoopOptions;
  private snap: AgentSnapshot;
  private quarantine: QuarantineFile;
  private parked: DispatchMessage | null = null;
  /** `lastCpContactAt` as last written to disk. */
  private cpContactSavedAt: number | null;

  constructor(options: HostLoopOptions) {
    this.o = options;
    const now = options.clock.now();
    this.snap = options.store.loadSnapshot(now);
    this.quarantine = options.store.loadQuarantine(now);
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
    return isQuarantined(
      this.quarantine,
      closure,
      this.o.clock.now(),
      this.o.timings.quarantineWindowMs,
    );
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
    if (saved === null || at - saved >= this.o.timings.heartbeatIntervalMs) {
      this.o.store.saveSnapshot(this.snap);
      this.cpContactSavedAt = at;
    }
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
    const now = this.o.clock.now();
    const at = (s: string): number => parseRfc3339(s) ?? msg.receivedAt;
    const manifestTarget = msg.kind === 'dispatch' ? msg.manifestTarget : null;
    const quarantined = manifestTarget !== null && this.quarantined(manifestTarget);
    const current = await this.o.backend.currentSystem();
    const r = step(
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
        locallyQuarantined: quarantined,
        refusal: msg.kind === 'refuse' ? { reason: msg.reason, detail: msg.detail } : null,
        at: msg.receivedAt,
      },
      now,
      this.policy(msg.kind === 'dispatch' ? msg.onHealthFailure : null),
    );
    if (!r.ok) {
      this.o.log.warn(
        { rolloutId: d.rollout_id, code: r.code, why: r.message },
        'dispatch not accepted',
      );
      return;
    }
    const retryableRefusals: Record<string, string> = { ...this.snap.retryableRefusals };
    delete retryableRefusals[d.rollout_id];
    if (r.state.state === 'Failed') {
      let effects: readonly Effect[] = r.effects;
      if (r.state.rejectReason === 'Quarantined' && manifestTarget !== null) {
        effects = [...effects, ...this.quarantineReport(r.state, manifestTarget, now).effects];
      }
      if (msg.kind === 'refuse' && msg.retryable) retryableRefusals[d.rollout_id] = d.issued_at;
      this.o.log.warn(
        { rolloutId: d.rollout_id, reason: r.state.rejectReason },
        'dispatch refused; keeping the current generation',
      );
      this.commit({
        record: this.snap.record,
        onHealthFailure: this.snap.onHealthFailure,
        lastDispatch: this.snap.lastDispatch,
        effects,
        retryableRefusals,
      });
      return;
    }
    if (this.snap.record !== null) this.o.probes.stop();
    this.commit({
      record: r.state,
      onHealthFailure: msg.kind === 'dispatch' ? msg.onHealthFailure : null,
      lastDispatch: d,
      effects: r.effects,
      retryableRefusals,
    });
  }

  /**
   * ClosureQuarantined for `record`'s rollout through core, if the repost
   * throttle allows; returns the record with its seq advanced.
   */
  private quarantineReport(
    record: HostRolloutState,
    closure: string,
    now: number,
  ): { record: HostRolloutState; effects: readonly Effect[] } {
    const entry = this.quarantine.closures[closure];
    const throttleMs = this.o.timings.quarantineRepostThrottleMs;
    if (!entry || !reportDue(this.quarantine, closure, now, throttleMs)) {
      return { record, effects: [] };
    }
    const r = step(
      record,
      {
        kind: 'LocalClosureQuarantined',
        closure,
        quarantinedAt: entry.firstFailureAt,
        failureCount: entry.failureCount,
        lastFailureAt: entry.lastFailureAt,
        at: now,
      },
      now,
      this.policy(this.snap.onHealthFailure),
    );
    if (!r.ok) {
      this.o.log.warn({ code: r.code, why: r.message }, 'quarantine report not applicable');
      return { record, effects: [] };
    }
    this.quarantine = markReported(this.quarantine, closure, now);
    this.o.store.saveQuarantine(this.quarantine);
    return { record: r.state, effects: r.effects };
  }

  private async handleHost(event: LocalHostEvent): Promise<void> {
    const before = this.snap.record;
    if (before === null) return;
    const now = this.o.clock.now();
    const r = step(before, event, now, this.policy(this.snap.onHealthFailure));
    if (!r.ok) {
      // A refused re-announcement leaves the CP without this host's state: say so.
      const loud = event.kind === 'LocalReannounce' && r.code !== 'CORE_ERR_DUPLICATE_SEQ';
      this.o.log[loud ? 'warn' : 'debug'](
        { event: event.kind, code: r.code, why: r.message },
        'event not applicable',
      );
      return;
    }
    if (r.state === before && r.effects.length === 0) return;
    let record = r.state;
    let effects: readonly Effect[] = r.effects;
    const forwardFailure =
      before.state === 'Activating' &&
      (event.kind === 'LocalActivationFailed' ||
        (event.kind === 'LocalActivationCompleted' && event.observed !== before.targetClosure));
    if (forwardFailure) {
      // SwitchFailed / VerifyMismatch: quarantine the closure locally (§I.7).
      this.quarantine = recordFailure(
        this.quarantine,
        before.targetClosure,
        now,
        this.o.timings.quarantineWindowMs,
      );
      this.o.store.saveQuarantine(this.quarantine);
      const q = this.quarantineReport(record, before.targetClosure, now);
      record = q.record;
      effects = [...effects, ...q.effects];
    }
    if (event.kind === 'LocalActivationCompleted' && event.observed === before.targetClosure) {
      const sentinel = this.o.store.loadDeferred(now);
      if (sentinel?.closure === event.observed) this.o.store.saveDeferred(null);
    }
    this.commit({
      record,
      onHealthFailure: this.snap.onHealthFailure,
      lastDispatch: this.snap.lastDispatch,
      effects,
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
  }

  /** Commit point: snapshot (with pending emits), outbox, then effects. */
  private commit(c: Commit): void {
    const emits: AgentEvent[] = [];
    for (const e of c.effects) {
      if (e.kind !== 'LocalEmitEvent') continue;
      let ev = e.payload as AgentEvent;
      if (ev.kind === 'ProbeResult') {
        // The signed payload travels with its signature: an auditor verifies
        // it from the CP's event log alone (`nixfleet verify probe`).
        const at = parseRfc3339(ev.observed_at);
        const evidence = at === null ? undefined : this.o.probes.evidenceFor(ev.probe_name, at);
        if (evidence !== undefined) {
          ev = { ...ev, signature: evidence.signature, payload: { ...evidence.payload } };
        }
      }
      emits.push(ev);
    }
    const lastSeq: Record<string, number> = { ...this.snap.lastSeqByRollout };
    for (const ev of emits) lastSeq[ev.rollout_id] = Math.max(lastSeq[ev.rollout_id] ?? 0, ev.seq);
    const keys = Object.keys(lastSeq);
    for (const k of keys.slice(0, Math.max(0, keys.length - 16))) delete lastSeq[k];
    this.snap = {
      ...this.snap,
      record: c.record,
      onHealthFailure: c.onHealthFailure,
      lastDispatch: c.lastDispatch,
      lastSeqByRollout: lastSeq,
      retryableRefusals: c.retryableRefusals ?? this.snap.retryableRefusals,
      pendingEmits: emits,
    };
    this.o.store.saveSnapshot(this.snap);
    this.cpContactSavedAt = this.snap.lastCpContactAt;
    this.o.outbox.enqueue(emits);
    for (const e of c.effects) this.apply(e);
  }

  private apply(e: Effect): void {
    const { log } = this.o;
    switch (e.kind) {
      case 'LocalEmitEvent':
        return;
      case 'LocalFireSwitch':
        return this.o.activation.fireSwitch(e.target);
      case 'LocalFireRollbackTo':
        return this.o.activation.fireRollback(e.closure);
      case 'LocalResetProbeCache':
        void this.o.probes.reset({ declare: true });
        return;
      case 'RecordTransition':
        log.info({ rolloutId: e.rollout, from: e.from, to: e.to }, 'host state transition');
        return;
      case 'EmitLog':
        log[e.level]({ target: e.target, ...e.fields }, e.message);
        return;
      case 'EmitMetric':
        log.debug({ metric: e.name, labels: e.labels, value: e.value }, 'metric');
        return;
      default:
        log.error({ effect: e.kind }, 'control-plane effect reached the agent; ignored');
    }
  }

  /**
   * Boot recovery (RFC-0006 ledger #9): reconcile the persisted record with
   * the active generation and emit what the CP missed.
   */
  async recover(): Promise<void> {
    const rec = this.snap.record;
    if (rec === null) return;
    const { log, clock, activation } = this.o;
    const current = await this.o.backend.currentSystem();
    const saved = activation.loadSaved();
    const now = clock.now();
    log.info({ rolloutId: rec.rolloutId, state: rec.state, current }, 'boot recovery');
    switch (rec.state) {
      case 'Activating':
        if (saved?.kind === 'switch' && saved.handle.closure === rec.targetClosure) {
          if (rec.activationStartedAt === null) {
            this.postHost({
              kind: 'LocalActivationStarted',
              switchMethod: this.o.backend.switchMethod,
              at: saved.handle.startedAt,
            });
          }
          activation.resume(saved);
        } else if (current === rec.targetClosure) {
          this.postHost({
            kind: 'LocalActivationCompleted',
            observed: current,
            exitCode: 0,
            at: now,
          });
        } else {
          activation.fireSwitch(rec.targetClosure);
        }
        return;
      case 'Deferred':
        if (current === rec.targetClosure) {
          // Rebooted into the staged generation: activation completed.
          this.postHost({
            kind: 'LocalActivationCompleted',
            observed: current,
            exitCode: 0,
            at: now,
          });
        }
        return;
      case 'Failed':
        if (rec.policyApplied === 'rollback-and-halt' && rec.currentClosureAtDispatch !== null) {
          if (saved?.kind === 'rollback') activation.resume(saved);
          else if (current === rec.currentClosureAtDispatch) {
            this.postHost({
              kind: 'LocalRollbackCompleted',
              revertedTo: current,
              exitCode: 0,
              at: now,
            });
          } else activation.fireRollback(rec.currentClosureAtDispatch);
        }
        return;
      case 'Soaking':
        await this.o.probes.reset({ declare: rec.probeTopology === null });
        return;
      case 'Converged':
        await this.o.probes.reset({ declare: false });
        return;
      default:
        return;
    }
  }
}
