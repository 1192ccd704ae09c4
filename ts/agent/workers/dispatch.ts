// The dispatch worker: long-polls GET /v1/agent/dispatch and takes every
// Dispatch through the agent's own checks before the reducer sees it —
// manifest fetch and verification (retrying a transient 503 a few times),
// wave membership and target equality, local quarantine, then realisation of
// the closure from the binary caches with cacheKeys only. A Dispatch is only
// "your target is closure X": nothing in it is executed. Must never mutate
// state: it posts messages to the reducer loop.
import type { Logger } from 'pino';
import type { Dispatch } from '../../contracts/index.ts';
import type { TrustConfig } from '../../trust/index.ts';
import { realiseClosure } from '../activation/realise.ts';
import type { Clock } from '../clock.ts';
import type { AgentConfig } from '../config/config.ts';
import { isAgentError } from '../errors.ts';
import type { CpApi } from '../http/cp-api.ts';
import { verifyDispatchManifest } from '../manifest/verify-dispatch.ts';
import { backoffDelay } from '../queue/backoff.ts';
import type { HostLoop } from '../runtime/host-loop.ts';
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
  /** Attempts at fetching a manifest the CP cannot serve yet (503, network). */
  readonly manifestAttempts?: number;
}

/** Long-poll loop plus the pre-reducer checks. */
export class DispatchWorker {
  private readonly o: DispatchWorkerOptions;

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
        const level = code === 'AGENT_ERR_CP_PROTOCOL' ? 'error' : 'warn';
        log[level]({ err: e, code, retryInMs: delay }, 'dispatch long-poll failed');
        await clock.sleep(delay, signal);
      }
    }
  }

  /** Takes one dispatch through the checks and posts the verdict. */
  async process(dispatch: Dispatch, receivedAt: number, signal?: AbortSignal): Promise<void> {
    const { loop, log, clock, config } = this.o;
    const ctx = {
      rolloutId: dispatch.rollout_id,
      target: dispatch.target_closure,
      seq: dispatch.seq,
    };
    if (loop.handled(dispatch.rollout_id)) {
      log.debug(ctx, 'dispatch for the current rollout; already handled');
      return;
    }
    log.info(ctx, 'dispatch received');
    const attempts = this.o.manifestAttempts ?? 3;
    let verdict;
    for (let i = 0; ; i++) {
      verdict = await verifyDispatchManifest({
        dispatch,
        hostname: config.machineId,
        trust: this.o.trust,
        now: clock.now(),
        clockSkewSlackMs: config.timings.clockSkewSlackMs,
        store: this.o.store,
        fetch: (id) => this.o.api.fetchManifest(id, signal),
      });
      if (verdict.ok || !verdict.transient || i + 1 >= attempts || signal?.aborted) break;
      await clock.sleep(
        backoffDelay(i, {
          baseMs: config.timings.backoffBaseMs,
          maxMs: config.timings.pollIntervalMs,
        }),
        signal,
      );
    }
    if (!verdict.ok) {
      log.warn({ ...ctx, reason: verdict.reason, detail: verdict.detail }, 'manifest check failed');
      loop.post({
        kind: 'refuse',
        dispatch,
        receivedAt,
        reason: verdict.reason,
        detail: verdict.detail,
      });
      return;
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
      loop.post({ ...base, manifestTarget });
      return;
    }
    if (loop.quarantined(manifestTarget)) {
      loop.post({ ...base, manifestTarget });
      return;
    }
    const realised = await realiseClosure({
      closure: manifestTarget,
      cacheUrls: config.cacheUrls,
      trustedKeys: this.o.trust.cacheKeys,
      storeUri: config.storeUri,
      timeoutMs: config.timings.realiseTimeoutMs,
    });
    if (!realised.ok) {
      log.warn({ ...ctx, reason: realised.reason, detail: realised.detail }, 'closure refused');
      loop.post({
        kind: 'refuse',
        dispatch,
        receivedAt,
        reason: realised.reason === 'untrusted' ? 'ClosureUntrusted' : 'ClosureUnavailable',
        detail: realised.detail,
      });
      return;
    }
    log.info({ ...ctx, source: realised.source }, 'closure realised');
    loop.post({ ...base, manifestTarget });
  }
}
