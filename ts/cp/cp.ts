// Assembly of the control plane: storage, state, mutator, workers, routes
// and the HTTP/2 server, plus the start and graceful-stop sequences. Start:
// migrate → load state → read trust.json and the CA → first artifact poll →
// first tick → listen. Stop: refuse new work → release long-polls → drain
// in-flight requests → stop workers → drain the mutator → close storage,
// all within the shutdown deadline. Must never touch argv, env or exit codes
// (main.ts does).
import { readFileSync } from 'node:fs';
import { parseTrustConfigBytes, type TrustConfig } from '../trust/index.ts';
import { systemClock, type Clock } from './clock.ts';
import { strictViolations, type CpConfig } from './config.ts';
import { CpError } from './errors.ts';
import type { Logger } from './log.ts';
import { CpMetrics } from './metrics.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import { ROLLOUT_STATES } from '../core/index.ts';
import { loadFleetCa, type FleetCa } from './pki/ca.ts';
import { agentRoutes, EVENTS_PATH } from './routes/agent.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { healthRoutes } from './routes/health.ts';
import { operatorRoutes } from './routes/operator.ts';
import { coreTimingsOf, type RuntimeDeps } from './runtime/deps.ts';
import { DispatchHub } from './runtime/dispatch-hub.ts';
import { DispatchPacer, IngestWindow } from './runtime/dispatch-pacer.ts';
import { Mutator } from './runtime/mutator.ts';
import {
  adoptArtifacts,
  prune,
  runHeldStep,
  runTick,
  sweepLiveness,
  WARMUP_ACTIONS,
  type TickSummary,
} from './runtime/reconcile.ts';
import type { CpRuntime } from './runtime/runtime.ts';
import { CpState } from './runtime/state.ts';
import { CP_ACCESS } from './routes/access.ts';
import { createCpServer, type CpServer } from './server/http.ts';
import { openSqliteStorage } from './storage/sqlite.ts';
import type { Storage } from './storage/types.ts';
import { readTlsMaterial } from './server/listener-setup.ts';
import { ArtifactPoller } from './workers/artifact-poller.ts';
import { releaseCache } from './workers/release-cache.ts';
import { dirSource, httpSource, type ArtifactSource } from './workers/artifact-source.ts';
import { PeriodicWorker, ReconcileLoop } from './workers/reconcile-loop.ts';
import {
  LOOP_STALL_MS,
  LOOP_WINDOW_MS,
  watchLoopDelay,
  type LoopDelayWindow,
} from './server/loop-delay.ts';

/** Injectable collaborators (tests pass a manual clock or a storage). */
export interface ControlPlaneDeps {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly storage?: Storage;
}

/** A control plane instance. */
export interface ControlPlane {
  readonly runtime: CpRuntime;
  /** Starts workers and (unless `listen: false`) the server; resolves with the bound port. */
  start(options?: { readonly listen?: boolean }): Promise<{ readonly port: number }>;
  /**
   * One reconcile tick through the mutator. Explicit ticks plan at once;
   * automatic ones (`automatic: true`) wait out the planning warm-up.
   */
  tick(
    trigger?: string,
    options?: {
      readonly automatic?: boolean;
      /** Only these rollouts' pictures changed (host events); see the reconcile loop. */
      readonly rollouts?: ReadonlySet<string>;
    },
  ): Promise<TickSummary>;
  /** One artifact poll. */
  poll(): Promise<void>;
  /** Heartbeat sweep now. */
  sweep(): Promise<string[]>;
  /** Graceful shutdown within the configured deadline. */
  stop(): Promise<void>;
}

function readTrust(config: CpConfig): TrustConfig | null {
  if (config.trustFile === null) return null;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(config.trustFile));
  } catch (e) {
    throw new CpError('CP_ERR_CONFIG', `--trust-file: ${(e as Error).message}`, {}, { cause: e });
  }
  const r = parseTrustConfigBytes(bytes);
  if (!r.ok) {
    throw new CpError('CP_ERR_CONFIG', `--trust-file: ${r.error.message}`, {
      file: config.trustFile,
    });
  }
  return r.value;
}

/**
 * Builds a control plane from a validated config.
 *
 * @example const cp = await createControlPlane(config, { log }); await cp.start();
 */
export async function createControlPlane(
  config: CpConfig,
  d: ControlPlaneDeps,
): Promise<ControlPlane> {
  const clock = d.clock ?? systemClock;
  const log = d.log;
  if (config.strict) {
    const missing = strictViolations(config);
    if (missing.length > 0) {
      throw new CpError('CP_ERR_STRICT_MODE', `--strict: missing ${missing.join(', ')}`, {
        missing,
      });
    }
  }
  // Files first, storage last: a configuration error must not leave the
  // commit thread running (it would keep a failed process alive).
  const trust = readTrust(config);
  let ca: FleetCa | null = null;
  if (config.fleetCaCert !== null && config.fleetCaKey !== null) {
    ca = await loadFleetCa({
      certFile: config.fleetCaCert,
      keyFile: config.fleetCaKey,
      issuanceLog: config.issuanceLog,
    });
  }
  const metrics = new CpMetrics();
  const storage =
    d.storage ?? openSqliteStorage(config.dbPath, { commitThread: config.commitThread });
  const state = new CpState(config.timings.rolloutRetentionMs);
  try {
    await storage.migrate();
    await state.loadFrom(storage);
  } catch (e) {
    await storage.close().catch(() => undefined);
    throw e;
  }
  const mutator = new Mutator({
    state,
    storage,
    log,
    metrics,
    groupCommitMs: config.timings.groupCommitMs,
  });
  const hub = new DispatchHub(state, metrics);
  let loop: ReconcileLoop | null = null;
  const deps: RuntimeDeps = {
    state,
    log,
    metrics,
    timings: config.timings,
    coreTimings: coreTimingsOf(config.timings),
    requestTick: (reason, rolloutId) => loop?.request(reason, rolloutId),
    notifyDispatch: (host) => hub.notify(host),
  };
  const sources: ArtifactSource[] = [];
  if (config.releaseDir !== null) sources.push(dirSource(config.releaseDir));
  if (config.artifactUrl !== null)
    sources.push(httpSource(config.artifactUrl, config.artifactTokenFile));
  const poller =
    sources.length === 0
      ? null
      : new ArtifactPoller({
          sources,
          trust,
          clock,
          freshnessMs: config.artifactFreshnessMs,
          log,
          metrics,
          current: () => state.artifacts,
          marks: () => state.highWater,
          cache: config.releaseCacheDir === null ? null : releaseCache(config.releaseCacheDir),
          adopt: (snapshot) =>
            mutator.submit((b) => adoptArtifacts(deps, b, { snapshot, now: clock.now() })),
        });
  if (poller === null) log.warn('no artifact source configured: the CP will not plan rollouts');
  const runtime: CpRuntime = {
    config,
    clock,
    log,
    metrics,
    state,
    storage,
    mutator,
    deps,
    hub,
    poller,
    ca,
    trust,
    startedAt: clock.now(),
  };
  metrics.collect('nixfleet_cp_rollouts', 'gauge', 'Rollouts in the book, by state.', () => {
    const by = new Map<string, number>(ROLLOUT_STATES.map((s) => [s, 0]));
    for (const r of Object.values(state.committed.book.rollouts)) {
      by.set(r.state, (by.get(r.state) ?? 0) + 1);
    }
    return [...by].map(([s, n]) => [{ state: s }, n] as const);
  });
  registerProcessMetrics(metrics, process.env);

  const PACED_TRIGGER = 'paced dispatch';
  const EXPLAIN_EVERY_MS = 2_000;
  const pacer = new DispatchPacer(
    config.dispatchRatePerSec,
    config.dispatchChunk,
    config.dispatchMaxLagMs,
    config.dispatchMaxIngestMs,
  );
  const EVENTS_ROUTE = `POST ${EVENTS_PATH}`;
  /** Event-ingest latencies as the edge measured them, since the pacer last looked. */
  const ingestWindow = new IngestWindow();
  let warmupLogged = false;
  /**
   * True when every rollout in `rollouts` still has dispatches in the held
   * plan. Their host events can then only loosen gates (anything that could
   * tighten one makes the held plan stale, see core/planner/held.ts), and
   * what a full replan would add — hosts a freed budget slot admits — comes
   * after the held ones anyway; a rollout with nothing held (its wave may
   * have just completed) needs the full planner at once.
   */
  const heldCovers = (rollouts: ReadonlySet<string>): boolean => {
    const held = state.tick.heldDispatches;
    if (held === null || rollouts.size === 0) return false;
    const ids = new Set(held.actions.map((a) => a.rolloutId));
    for (const r of rollouts) if (!ids.has(r)) return false;
    return true;
  };
  /** Event-loop delay of a CP thread: gauges per window, and every stall logged and counted. */
  const loopDelayed = (thread: 'main' | 'edge', w: LoopDelayWindow): void => {
    metrics.loopDelay.set(w.p50 / 1000, { thread, stat: 'p50' });
    metrics.loopDelay.set(w.p99 / 1000, { thread, stat: 'p99' });
    metrics.loopDelay.set(w.max / 1000, { thread, stat: 'max' });
  };
  const stalled = (thread: 'main' | 'edge', ms: number): void => {
    metrics.loopStalls.observe(ms / 1000, { thread });
    // What the main thread last did is the usual suspect; the edge's stalls
    // are handshakes, GC, or the machine itself.
    log.warn(
      {
        thread,
        ms,
        lastTickMs: state.tick.lastTickMs === null ? null : Math.round(state.tick.lastTickMs),
        mutatorQueue: mutator.depth(),
      },
      'event loop blocked',
    );
  };
  let stopLoopWatch: (() => void) | null = null;
  const tick = (
    trigger = 'manual',
    options: { readonly automatic?: boolean; readonly rollouts?: ReadonlySet<string> } = {},
  ): Promise<TickSummary> =>
    mutator.submit((b) => {
      const now = clock.now();
      if (options.automatic && now < runtime.startedAt + config.timings.planningWarmupMs) {
        if (!warmupLogged) {
          warmupLogged = true;
          log.info(
            { warmupMs: config.timings.planningWarmupMs },
            'dispatch and wave promotion held until agents have heartbeated',
          );
        }
        return runTick(deps, b, { now, trigger: `${trigger} (warm-up)`, only: WARMUP_ACTIONS });
      }
      if (!options.automatic) return runTick(deps, b, { now, trigger });
      // Automatic ticks are paced; what the budget held back is released by
      // paced steps. Admission control: the pacer's rate adapts to the
      // acknowledgement latency (AIMD around --dispatch-max-lag-ms on the
      // mutator's queue wait and --dispatch-max-ingest-ms on the edge's
      // end-to-end event latency) — each dispatch brings ~5 events, and the
      // CP must absorb those first.
      pacer.observe(mutator.lagMs(), now, ingestWindow.take());
      const maxDispatches = pacer.budget(now);
      metrics.dispatchRate.set(pacer.rate());
      state.noteTick({ dispatchRate: pacer.rate() });
      // A paced follow-up first releases what the last full plan held back
      // (O(step), not O(hosts)); a stale or empty held plan means replanning.
      // Host events of rollouts mid-release take the same path: replanning
      // every host for them (twice a second during a wave, 9 ms at 10,000
      // hosts and 25 ms at 19,900) stalled the events queued behind.
      const stepFirst =
        trigger === PACED_TRIGGER ||
        (options.rollouts !== undefined && heldCovers(options.rollouts));
      const summary =
        (stepFirst ? runHeldStep(deps, b, { now, trigger, maxDispatches }) : null) ??
        runTick(deps, b, {
          now,
          trigger,
          maxDispatches,
          holdRest: true,
          dispatchRate: pacer.rate(),
          // Explanations at most every 2 s (and on every interval tick): a
          // busy CP replans several times a second, and 10,000 decisions kept
          // per tick were most of its old-space garbage. The trace says when
          // its decisions were planned (decisionsAt).
          explain:
            trigger === 'interval' ||
            state.tick.lastDecisionsAt === null ||
            now - state.tick.lastDecisionsAt >= EXPLAIN_EVERY_MS,
        });
      const sent = summary.actions.filter((a) => a.kind === 'QueueDispatch').length;
      pacer.take(sent);
      metrics.dispatchesHeld.set(summary.heldDispatches);
      if (summary.heldDispatches > 0) {
        const ms = pacer.followUpMs(summary.heldDispatches);
        loop?.requestIn(PACED_TRIGGER, ms);
      }
      return summary;
    });
  loop = new ReconcileLoop({
    intervalMs: config.timings.reconcileIntervalMs,
    debounceMs: config.timings.reconcileDebounceMs,
    log,
    tick: (trigger, rollouts) =>
      tick(trigger, { automatic: true, ...(rollouts !== undefined ? { rollouts } : {}) }),
  });
  const workers = [
    ...(poller
      ? [
          new PeriodicWorker(
            'artifact-poller',
            config.timings.pollIntervalMs,
            () => poller.pollOnce(),
            log,
          ),
        ]
      : []),
    new PeriodicWorker(
      'heartbeat-watcher',
      Math.max(10, Math.min(config.timings.heartbeatIntervalMs, 60_000)),
      () => mutator.submit(() => sweepLiveness(deps, { now: clock.now() })),
      log,
    ),
    new PeriodicWorker(
      'housekeeping',
      3_600_000,
      () => mutator.submit((b) => prune(deps, b, { now: clock.now() })),
      log,
    ),
  ];

  let server: CpServer | null = null;
  let shuttingDown = false;
  let stopped: Promise<void> | null = null;

  async function start(options: { readonly listen?: boolean } = {}): Promise<{ port: number }> {
    // TLS material is checked before anything starts: a CP that cannot
    // listen must say so at once, not after its first poll and tick.
    const tls = options.listen === false ? null : readTlsMaterial(config);
    if (poller) {
      await poller.pollOnce();
      if (
        config.strict &&
        (state.artifacts.revocations === null || state.artifacts.nonces === null)
      ) {
        throw new CpError(
          'CP_ERR_STRICT_MODE',
          '--strict: signed revocations and bootstrap-nonces sidecars must verify before start',
          {
            revocations: state.artifacts.revocations !== null,
            nonces: state.artifacts.nonces !== null,
          },
        );
      }
    }
    await tick('startup', { automatic: true });
    loop?.start();
    for (const w of workers) w.start();
    stopLoopWatch = watchLoopDelay({
      windowMs: LOOP_WINDOW_MS,
      stallMs: LOOP_STALL_MS,
      onWindow: (w) => loopDelayed('main', w),
      onStall: (ms) => stalled('main', ms),
    });
    if (tls === null) return { port: 0 };
    const { cert, key, clientCa } = tls;
    if (clientCa === null) log.warn('no client CA: every mTLS route will answer 401');
    server = createCpServer({
      cert,
      key,
      clientCa,
      routes: [
        ...healthRoutes(runtime),
        ...agentRoutes(runtime),
        ...enrollRoutes(runtime),
        ...operatorRoutes(runtime),
      ],
      access: CP_ACCESS,
      bodyLimitBytes: config.bodyLimitBytes,
      limits: config.limits,
      clock,
      log,
      metrics,
      revocations: () => state.revocations,
      onTimed: (route, ms) => {
        if (route === EVENTS_ROUTE) ingestWindow.add(ms);
      },
      onLoopDelay: loopDelayed,
      onStall: stalled,
      shuttingDown: () => shuttingDown,
    });
    const { port, contracts } = await server.listen(config.port, config.host, config.listenBacklog);
    log.info(
      { host: config.host, port, strict: config.strict, edgeContracts: contracts },
      'control plane listening',
    );
    return { port };
  }

  async function stopInner(): Promise<void> {
    shuttingDown = true;
    const deadline = Date.now() + config.timings.shutdownDeadlineMs;
    const srv = server;
    const closed = srv ? srv.close() : Promise.resolve();
    hub.releaseAll();
    while (srv && srv.inFlight() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (srv && srv.inFlight() > 0) {
      log.warn({ inFlight: srv.inFlight() }, 'shutdown deadline reached; aborting requests');
      srv.abortAll();
    }
    loop?.stop();
    for (const w of workers) w.stop();
    stopLoopWatch?.();
    // The deadline timer is cleared once the mutator drains: left armed it
    // kept the process alive for the whole deadline after "stopped".
    let deadlineTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      mutator.stop(),
      new Promise((r) => (deadlineTimer = setTimeout(r, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(deadlineTimer);
    srv?.destroySessions();
    await closed;
    await storage.close();
    log.info('control plane stopped');
  }

  return {
    runtime,
    start,
    tick,
    poll: () => (poller ? poller.pollOnce() : Promise.resolve()),
    sweep: () => mutator.submit(() => sweepLiveness(deps, { now: clock.now() })),
    stop: () => (stopped ??= stopInner()),
  };
}
