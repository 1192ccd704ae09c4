// The dispatch worker: long-polls GET /v1/agent/dispatch and takes every
// Dispatch through the agent's own checks before the reducer sees it —
// manifest fetch and verification (a 503 or a missing closure is retried on
// the CP's re-deliveries until the confirm deadline),
// wave membership and target equality, local quarantine, then realisation of
// the closure from the binary caches with cacheKeys only. A Dispatch is only
// "your target is closure X": nothing in it is executed. Must never mutate
// state: it posts messages to the reducer loop.
import type { Logger } from 'pino';
import type { Dispatch } from '../../contracts/index.ts';
import { parseRfc3339 } from '../../core/index.ts';
import type { TrustConfig } from '../../trust/index.ts';
import { realiseClosure } from '../activation/realise.ts';
import type { Clock } from '../clock.ts';
import type { AgentConfig } from '../config/config.ts';
import { isAgentError } from '../errors.ts';
import type { CpApi } from '../http/cp-api.ts';
import { verifyDispatchManifest } from '../manifest/verify-dispatch.ts';
import { backoffDelay } from '../queue/backoff.ts';
import type { HostLoop } from '../runtime/host-loop.ts';
import type { AgentRefusal, LoopMessage } from '../runtime/messages.ts';
import type { StateStore } from '../state/store.ts';

/** Options of {@link DispatchWorker}. */
export interface DispatchWorkerOptions {
  readonly config: AgentConfig;
  readonly trust: TrustConfig;
  readonly api: CpApi;
  readonly loop: HostLoop;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Refusals whose cause may go away: never a reason to ignore the rollout later. */
const RETRYABLE: ReadonlySet<AgentRefusal['reason']> = new Set([
  'ManifestUnavailable',
  'ClosureUnavailable',
]);

/** Long-poll loop plus the pre-reducer checks. */
export class DispatchWorker {
  private readonly o: DispatchWorkerOptions;
  /** Attempts per dispatch (`rollout|issued_at`) still being retried. */
  private readonly attempts = new Map<string, number>();

  constructor(options: DispatchWorkerOptions) {
    this.o = options;
  }

  /** Polls until `signal` aborts; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log, config } = this.o;
    let failures = 0;
    while (!signal.aborted) {
      const started = clock.now();
      try {
        const r = await this.o.api.pollDispatch(signal);
        this.o.loop.touchCp(clock.now());
        failures = 0;
        if (r.kind === 'dispatch') {
          await this.process(r.dispatch, clock.now(), signal);
        } else if (clock.now() - started < 1_000) {
          await clock.sleep(config.timings.pollIntervalMs, signal);
        }
      } catch (e) {
        if (signal.aborted) return;
        const code = isAgentError(e) ? e.code : 'AGENT_ERR_CP_UNREACHABLE';
        if (code !== 'AGENT_ERR_CP_UNREACHABLE') this.o.loop.touchCp(clock.now());
        const delay = backoffDelay(failures++, {
          baseMs: config.timings.backoffBaseMs,
          maxMs: Math.min(config.timings.backoffMaxMs, config.timings.pollIntervalMs * 5),
        });
        // An unusable high-water file holds every dispatch until an operator acts.
        const loud = code === 'AGENT_ERR_CP_PROTOCOL' || code === 'AGENT_ERR_STATE_UNUSABLE';
        const level = loud ? 'error' : 'warn';
        log[level]({ err: e, code, retryInMs: delay }, 'dispatch long-poll failed');
        await clock.sleep(delay, signal);
      }
    }
  }

  /**
   * Takes one dispatch through the checks and posts the verdict. A manifest
   * the CP cannot serve yet (503, network) or a closure no cache has yet is
   * not refused: the worker backs off and the CP hands the same dispatch out
   * again on the next poll, until its confirm deadline. Only then is it
   * refused, and even that refusal does not stop a re-dispatch.
   */
  async process(dispatch: Dispatch, receivedAt: number, signal?: AbortSignal): Promise<void> {
    const { loop, log, config } = this.o;
    const ctx = {
      rolloutId: dispatch.rollout_id,
      target: dispatch.target_closure,
      seq: dispatch.seq,
    };
    if (loop.handled(dispatch)) {
      log.debug(ctx, 'dispatch for the current rollout; already handled');
      return;
    }
    log.info(ctx, 'dispatch received');
    const verdict = await verifyDispatchManifest({
      dispatch,
      hostname: config.machineId,
      trust: this.o.trust,
      now: this.o.clock.now(),
      clockSkewSlackMs: config.timings.clockSkewSlackMs,
      store: this.o.store,
      fetch: (id) => this.o.api.fetchManifest(id, signal),
      currentClosure: loop.snapshot.record?.currentClosure ?? null,
    });
    if (!verdict.ok) {
      if (verdict.code === 'AGENT_ERR_IRREVOCABLE_CHANGE') {
        log.error(
          { ...ctx, code: verdict.code, detail: verdict.detail, alert: 'IrrevocableChangeRefused' },
          'dispatch refused: its target changes an irrevocable value without a signed acceptance',
        );
      } else if (verdict.code === 'AGENT_ERR_MANIFEST_ROLLBACK') {
        log.error(
          { ...ctx, code: verdict.code, detail: verdict.detail, alert: 'ManifestRollbackRefused' },
          'dispatch refused: its manifest is older than the one this host adopted',
        );
      } else {
        log.warn(
          { ...ctx, reason: verdict.reason, detail: verdict.detail },
          'manifest check failed',
        );
      }
      return this.refuse(dispatch, receivedAt, verdict, signal);
    }
    // The newest verified manifest per channel is the mark an older one is refused against.
    try {
      this.o.store.raiseHighWater([verdict.mark]);
    } catch (e) {
      // Not a reason to refuse a verified dispatch: only the older-manifest check weakens.
      log.warn({ ...ctx, err: e, code: 'AGENT_ERR_STATE_IO' }, 'cannot persist the manifest mark');
    }
    const { manifest, manifestTarget } = verdict;
    const base = {
      kind: 'dispatch' as const,
      dispatch,
      receivedAt,
      onHealthFailure: manifest.onHealthFailure,
    };
    if (manifestTarget === null || manifestTarget !== dispatch.target_closure) {
      // Core refuses with NotInManifest / TargetMismatch: nothing is fetched.
      log.warn(
        { ...ctx, manifestTarget, detail: verdict.membershipDetail },
        'dispatch disagrees with the signed manifest',
      );
      return this.accept({ ...base, manifestTarget });
    }
    if (loop.quarantined(manifestTarget)) return this.accept({ ...base, manifestTarget });
    const realised = await realiseClosure({
      closure: manifestTarget,
      cacheUrls: config.cacheUrls,
      trustedKeys: this.o.trust.cacheKeys,
      storeUri: config.storeUri,
      timeoutMs: config.timings.realiseTimeoutMs,
    });
    if (!realised.ok) {
      log.warn({ ...ctx, reason: realised.reason, detail: realised.detail }, 'closure refused');
      const reason = realised.reason === 'untrusted' ? 'ClosureUntrusted' : 'ClosureUnavailable';
      return this.refuse(dispatch, receivedAt, { reason, detail: realised.detail }, signal);
    }
    log.info({ ...ctx, source: realised.source }, 'closure realised');
    return this.accept({ ...base, manifestTarget });
  }

  private accept(message: Extract<LoopMessage, { kind: 'dispatch' }>): void {
    this.attempts.delete(attemptKey(message.dispatch));
    this.o.loop.post(message);
  }

  /**
   * Backs off on an unavailable manifest or closure inside the confirm
   * window (the CP re-delivers the dispatch); refuses otherwise.
   */
  private async refuse(
    dispatch: Dispatch,
    receivedAt: number,
    why: { readonly reason: AgentRefusal['reason']; readonly detail: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const { clock, log, config } = this.o;
    const key = attemptKey(dispatch);
    const deadline = parseRfc3339(dispatch.confirm_deadline);
    const now = clock.now();
    if (RETRYABLE.has(why.reason) && deadline !== null && now <= deadline) {
      const attempt = this.attempts.get(key) ?? 0;
      this.attempts.set(key, attempt + 1);
      const delay = Math.min(
        backoffDelay(attempt, {
          baseMs: config.timings.backoffBaseMs,
          maxMs: Math.min(config.timings.backoffMaxMs, config.timings.pollIntervalMs),
        }),
        Math.max(0, deadline - now) + 1,
      );
      log.warn(
        {
          rolloutId: dispatch.rollout_id,
          reason: why.reason,
          attempt: attempt + 1,
          retryInMs: delay,
        },
        'dispatch not actionable yet; retrying until its confirm deadline',
      );
      await clock.sleep(delay, signal);
      return;
    }
    const attempts = this.attempts.get(key);
    this.attempts.delete(key);
    this.o.loop.post({
      kind: 'refuse',
      dispatch,
      receivedAt,
      reason: why.reason,
      detail:
        attempts === undefined
          ? why.detail
          : `${why.detail} (${attempts + 1} attempts until the confirm deadline ${dispatch.confirm_deadline})`,
      retryable: RETRYABLE.has(why.reason),
    });
  }
}

function attemptKey(d: Dispatch): string {
  return `${d.rollout_id}|${d.issued_at}`;
}
