// Assembly of the control plane: storage, state, mutator, workers, routes
// and the HTTP/2 server, plus the start and graceful-stop sequences. Start:
// migrate → load state → read trust.json and the CA → first artifact poll →
// first tick → listen. Stop: refuse new work → release long-polls → drain
// in-flight requests → stop workers → drain the mutator → close storage,
// all within the shutdown deadline. Must never touch argv, env or exit codes
// (main.ts does).
import { systemClock, type Clock } from './clock.ts';
import type { CpConfig } from './config.ts';
import type { Logger } from './log.ts';
import { CpMetrics } from './metrics.ts';
import {
  artifactPoller,
  checkStrict,
  checkStrictSidecars,
  drainRequests,
  edgeServer,
  loopDelayReporter,
  openState,
  periodicWorkers,
  readCa,
  readTrust,
  untilDeadline,
} from './parts.ts';
import { NotificationOutbox } from './notify/outbox.ts';
import { openSinks } from './notify/sinks.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import { coreTimingsOf, type RuntimeDeps } from './runtime/deps.ts';
import { DispatchHub } from './runtime/dispatch-hub.ts';
import { Mutator } from './runtime/mutator.ts';
import { sweepLiveness, type TickSummary } from './runtime/reconcile.ts';
import type { CpRuntime } from './runtime/runtime.ts';
import { tickPolicyOf, Ticker, type TickOptions } from './runtime/ticker.ts';
import type { CpServer } from './server/http.ts';
import { CpError, isCpError } from './errors.ts';
import { ReplicaRole } from './replica.ts';
import { requireAdvertisedCert, requireForwarding, startForwarding } from './forward/setup.ts';
import type { Storage } from './storage/types.ts';
import { readTlsMaterial } from './server/listener-setup.ts';
import { ReconcileLoop } from './workers/reconcile-loop.ts';
import { LOOP_STALL_MS, LOOP_WINDOW_MS, watchLoopDelay } from './server/loop-delay.ts';
import { registerStateMetrics } from './state-metrics.ts';

/** Injectable collaborators (tests pass a manual clock or a storage). */
export interface ControlPlaneDeps {
  readonly log: Logger;
  readonly clock?: Clock;
  readonly storage?: Storage;
  /**
   * Called once when this replica loses the leadership (PostgreSQL): it has
   * stopped deciding; main.ts exits non-zero so the supervisor restarts it
   * as a follower. Default: a graceful stop.
   */
  readonly onLostLeadership?: (e: CpError) => void;
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
  tick(trigger?: string, options?: TickOptions): Promise<TickSummary>;
  /** One artifact poll. */
  poll(): Promise<void>;
  /** Heartbeat sweep now. */
  sweep(): Promise<string[]>;
  /**
   * PostgreSQL: takes the leadership for a one-off command (`tick`), waiting
   * at most `waitMs`; false when another replica holds it. True on SQLite.
   */
  lead(waitMs: number): Promise<boolean>;
  /** Graceful shutdown within the configured deadline. */
  stop(): Promise<void>;
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
  checkStrict(config);
  // Files first, storage last: a configuration error must not leave the
  // commit thread running (it would keep a failed process alive).
  const trust = readTrust(config);
  const ca = await readCa(config);
  const sinks = openSinks(config.notify, () => clock.now());
  const metrics = new CpMetrics();
  const { storage, state, leadership } = await openState(config, d.storage);
  const replica = new ReplicaRole(leadership);
  const mutator = new Mutator({
    state,
    storage,
    log,
    metrics,
    groupCommitMs: config.timings.groupCommitMs,
  });
  const hub = new DispatchHub(state, metrics);
  const outbox =
    sinks.length === 0
      ? null
      : new NotificationOutbox({
          sinks,
          storage,
          mutator,
          log,
          metrics,
          clock,
          config: config.notify,
        });
  if (outbox !== null) mutator.onBatch((b) => outbox.stage(b));
  let loop: ReconcileLoop | null = null;
  const deps: RuntimeDeps = {
    state,
    log,
    metrics,
    timings: config.timings,
    coreTimings: coreTimingsOf(config.timings),
    requestTick: (reason, rolloutId) => loop?.request(reason, rolloutId),
    notifyDispatch: (host) => hub.notify(host),
    notifyHeldAfterMs: outbox === null ? null : config.notify.heldAfterMs,
  };
  const poller = artifactPoller(config, { trust, clock, deps, mutator });
  const startedAt = clock.now();
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
    outbox,
    ca,
    trust,
    replica,
    startedAt,
  };
  registerStateMetrics(
    metrics,
    () => state.committed,
    () => clock.now(),
  );
  registerProcessMetrics(metrics, process.env);
  const ticker = new Ticker({
    deps,
    mutator,
    clock,
    policy: tickPolicyOf(config, startedAt),
    warmupMs: config.timings.planningWarmupMs,
    followUp: (trigger, ms) => loop?.requestIn(trigger, ms),
  });
  loop = new ReconcileLoop({
    intervalMs: config.timings.reconcileIntervalMs,
    debounceMs: config.timings.reconcileDebounceMs,
    log,
    tick: (trigger, rollouts) =>
      ticker.tick(trigger, { automatic: true, ...(rollouts !== undefined ? { rollouts } : {}) }),
  });
  const workers = periodicWorkers(config, { poller, clock, deps, mutator });
  const loopDelay = loopDelayReporter({ metrics, log, state, mutator });
  let stopLoopWatch: (() => void) | null = null;

  let server: CpServer | null = null;
  let shuttingDown = false;
  let stopped: Promise<void> | null = null;
  const campaign = new AbortController();

  /** Starts what only the leader runs: adoption, planning, the workers. */
  async function decide(): Promise<void> {
    if (poller) {
      await poller.pollOnce();
      checkStrictSidecars(config, state);
    }
    // Delivers what a previous run left pending, before anything new.
    outbox?.start();
    await ticker.tick('startup', { automatic: true });
    loop?.start();
    for (const w of workers) w.start();
  }

  /** Stops deciding at once (leadership lost, or leading failed); the process is to end. */
  function abdicate(e: CpError): void {
    replica.setServing(false);
    metrics.replicaLeader.set(0);
    loop?.stop();
    for (const w of workers) w.stop();
    hub.releaseAll();
    log.fatal({ code: e.code, details: e.details }, e.message);
    // Refusing (typed) for one lock interval, then stopped: the in-process
    // equivalent of main.ts's exit.
    (d.onLostLeadership ?? (() => setTimeout(() => void stopOnce(), config.leaderRetryMs).unref()))(
      e,
    );
  }

  /**
   * A follower until it takes the lock; then, under its new epoch, it loads
   * the state the previous leader committed and starts deciding.
   */
  async function campaignFor(l: NonNullable<typeof leadership>): Promise<void> {
    try {
      const epoch = await l.acquire(campaign.signal);
      const started = Date.now();
      await state.loadFrom(storage);
      // As a single CP before it listens: the first artifact poll and tick
      // come before the first answer, so no request meets a leader that has
      // not yet adopted the release its state refers to.
      await decide();
      replica.setServing(true);
      metrics.replicaLeader.set(1);
      log.info(
        { epoch, startMs: Date.now() - started },
        'leader: state loaded, first poll and tick done, serving',
      );
    } catch (e) {
      if (shuttingDown) return;
      // A refusal keeps its code (a --strict start that cannot verify its
      // sidecars exits 2 as without replicas); anything else deposes.
      abdicate(
        isCpError(e)
          ? e
          : new CpError(
              'CP_ERR_NOT_LEADER',
              `taking the leadership failed: ${(e as Error).message}`,
              {},
              { cause: e },
            ),
      );
    }
  }

  async function start(options: { readonly listen?: boolean } = {}): Promise<{ port: number }> {
    // TLS material is checked before anything starts: a CP that cannot
    // listen must say so at once, not after its first poll and tick.
    if (options.listen !== false && leadership !== null) requireForwarding(runtime);
    const tls = options.listen === false ? null : readTlsMaterial(config);
    if (tls !== null) requireAdvertisedCert(runtime, tls.cert);
    if (leadership === null) await decide();
    else {
      metrics.replicaLeader.set(0);
      leadership.onLost(abdicate);
    }
    stopLoopWatch = watchLoopDelay({
      windowMs: LOOP_WINDOW_MS,
      stallMs: LOOP_STALL_MS,
      onWindow: (w) => loopDelay.window('main', w),
      onStall: (ms) => loopDelay.stall('main', ms),
    });
    // A replica serves (as a follower) before it leads: it must be reachable
    // to say who leads, and ready the moment it takes over.
    if (leadership !== null) void campaignFor(leadership);
    if (tls === null) return { port: 0 };
    startForwarding(runtime);
    server = edgeServer(runtime, tls, {
      eventTimed: (ms) => ticker.eventTimed(ms),
      loopDelay,
      shuttingDown: () => shuttingDown,
    });
    const { port, contracts } = await server.listen(config.port, config.host, config.listenBacklog);
    log.info(
      {
        host: config.host,
        port,
        strict: config.strict,
        edgeContracts: contracts,
        ...(leadership === null ? {} : { replica: true }),
      },
      'control plane listening',
    );
    return { port };
  }

  function stopOnce(): Promise<void> {
    return (stopped ??= stopInner());
  }

  async function stopInner(): Promise<void> {
    shuttingDown = true;
    campaign.abort();
    replica.stopForwarding();
    const deadline = Date.now() + config.timings.shutdownDeadlineMs;
    const srv = server;
    const closed = srv ? srv.close() : Promise.resolve();
    hub.releaseAll();
    if (srv) await drainRequests(srv, deadline, log);
    loop?.stop();
    for (const w of workers) w.stop();
    stopLoopWatch?.();
    // Sends in flight end within --notify-timeout-secs; what is not recorded
    // stays pending and is sent again after the restart.
    if (outbox !== null) await untilDeadline(outbox.stop(), deadline);
    await untilDeadline(mutator.stop(), deadline);
    srv?.destroySessions();
    await closed;
    await poller?.close();
    // Ending the lock connection hands the leadership to a follower at once.
    await leadership?.close();
    await storage.close();
    log.info('control plane stopped');
  }

  return {
    runtime,
    start,
    tick: (trigger, options) => ticker.tick(trigger, options),
    poll: () => (poller ? poller.pollOnce() : Promise.resolve()),
    sweep: () => mutator.submit(() => sweepLiveness(deps, { now: clock.now() })),
    async lead(waitMs) {
      if (leadership === null) return true;
      const give = new AbortController();
      const timer = setTimeout(() => give.abort(), waitMs);
      try {
        await leadership.acquire(give.signal);
        await state.loadFrom(storage);
        return true;
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    stop: stopOnce,
  };
}
