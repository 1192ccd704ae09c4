// The control plane's parts as cp.ts assembles them: trust configuration,
// the fleet CA, strict-mode checks, the artifact poller, the periodic
// workers, the rollout gauge and the event-loop delay reporting. Each is
// built from the validated config and the shared runtime pieces; none starts
// anything (cp.ts does).
import { readFileSync } from 'node:fs';
import { parseTrustConfigBytes, type TrustConfig } from '../trust/index.ts';
import type { Clock } from './clock.ts';
import { strictViolations, type CpConfig } from './config.ts';
import { CpError } from './errors.ts';
import type { Logger } from './log.ts';
import type { CpMetrics } from './metrics.ts';
import { loadFleetCa, type FleetCa } from './pki/ca.ts';
import { CP_ACCESS } from './routes/access.ts';
import { agentRoutes, EVENTS_PATH } from './routes/agent.ts';
import { enrollRoutes } from './routes/enroll.ts';
import { healthRoutes } from './routes/health.ts';
import { actionRoutes } from './routes/actions.ts';
import { operatorRoutes } from './routes/operator.ts';
import type { RuntimeDeps } from './runtime/deps.ts';
import type { Mutator } from './runtime/mutator.ts';
import { adoptArtifacts, prune, sweepLiveness } from './runtime/reconcile.ts';
import type { CpRuntime } from './runtime/runtime.ts';
import { CpState } from './runtime/state.ts';
import { createCpServer, type CpServer } from './server/http.ts';
import type { TlsMaterial } from './server/listener-setup.ts';
import type { LoopDelayWindow } from './server/loop-delay.ts';
import { openConfiguredStorage } from './storage/open.ts';
import type { Leadership } from './storage/leader.ts';
import type { Storage } from './storage/types.ts';
import { ArtifactPoller } from './workers/artifact-poller.ts';
import { VerifyThread } from './workers/verify-thread.ts';
import { dirSource, httpSource, type ArtifactSource } from './workers/artifact-source.ts';
import { releaseCache } from './workers/release-cache.ts';
import type { RevocationRow } from './storage/types.ts';
import { PeriodicWorker } from './workers/reconcile-loop.ts';

/** Refuses a `--strict` config that lacks a required flag. */
export function checkStrict(config: CpConfig): void {
  if (!config.strict) return;
  const missing = strictViolations(config);
  if (missing.length > 0) {
    throw new CpError('CP_ERR_STRICT_MODE', `--strict: missing ${missing.join(', ')}`, {
      missing,
    });
  }
}

/** Refuses a `--strict` start whose signed sidecars did not verify on the first poll. */
export function checkStrictSidecars(config: CpConfig, state: CpState): void {
  if (!config.strict || (state.artifacts.revocations !== null && state.artifacts.nonces !== null))
    return;
  throw new CpError(
    'CP_ERR_STRICT_MODE',
    '--strict: signed revocations and bootstrap-nonces sidecars must verify before start',
    {
      revocations: state.artifacts.revocations !== null,
      nonces: state.artifacts.nonces !== null,
    },
  );
}

/** The trust configuration named by `--trust-file` (null without one). */
export function readTrust(config: CpConfig): TrustConfig | null {
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

/** The fleet CA when both its certificate and key are configured. */
export async function readCa(config: CpConfig): Promise<FleetCa | null> {
  if (config.fleetCaCert === null || config.fleetCaKey === null) return null;
  return loadFleetCa({
    certFile: config.fleetCaCert,
    keyFile: config.fleetCaKey,
    issuanceLog: config.issuanceLog,
  });
}

/** The artifact poller over the configured sources (null, with a warning, without any). */
export function artifactPoller(
  config: CpConfig,
  p: {
    readonly trust: TrustConfig | null;
    readonly clock: Clock;
    readonly deps: RuntimeDeps;
    readonly mutator: Mutator;
  },
): ArtifactPoller | null {
  const { log, metrics, state } = p.deps;
  const sources: ArtifactSource[] = [];
  if (config.releaseDir !== null) sources.push(dirSource(config.releaseDir));
  if (config.artifactUrl !== null)
    sources.push(httpSource(config.artifactUrl, config.artifactTokenFile));
  if (sources.length === 0) {
    log.warn('no artifact source configured: the CP will not plan rollouts');
    return null;
  }
  return new ArtifactPoller({
    sources,
    trust: p.trust,
    clock: p.clock,
    freshnessMs: config.artifactFreshnessMs,
    log,
    metrics,
    current: () => state.artifacts,
    marks: () => state.highWater,
    cache: config.releaseCacheDir === null ? null : releaseCache(config.releaseCacheDir),
    adopt: (snapshot) =>
      p.mutator.submit((b) => adoptArtifacts(p.deps, b, { snapshot, now: p.clock.now() })),
    // Verifying a large release blocks for hundreds of ms: never on the main thread.
    ...(p.trust === null ? {} : { verifier: new VerifyThread(p.trust) }),
  });
}

/** The periodic workers: artifact poll, heartbeat sweep, housekeeping. */
export function periodicWorkers(
  config: CpConfig,
  p: {
    readonly poller: ArtifactPoller | null;
    readonly clock: Clock;
    readonly deps: RuntimeDeps;
    readonly mutator: Mutator;
  },
): PeriodicWorker[] {
  const { deps, mutator, clock, poller } = p;
  const t = config.timings;
  return [
    ...(poller
      ? [new PeriodicWorker('artifact-poller', t.pollIntervalMs, () => poller.pollOnce(), deps.log)]
      : []),
    new PeriodicWorker(
      'heartbeat-watcher',
      Math.max(10, Math.min(t.heartbeatIntervalMs, 60_000)),
      () => mutator.submit(() => sweepLiveness(deps, { now: clock.now() })),
      deps.log,
    ),
    new PeriodicWorker(
      'housekeeping',
      3_600_000,
      () => mutator.submit((b) => prune(deps, b, { now: clock.now() })),
      deps.log,
    ),
  ];
}

/** Reports the event-loop delay of a CP thread: gauges per window, every stall logged and counted. */
export function loopDelayReporter(p: {
  readonly metrics: CpMetrics;
  readonly log: Logger;
  readonly state: CpState;
  readonly mutator: Mutator;
}): {
  readonly window: (thread: 'main' | 'edge', w: LoopDelayWindow) => void;
  readonly stall: (thread: 'main' | 'edge', ms: number) => void;
} {
  const { metrics, log, state, mutator } = p;
  return {
    window: (thread, w) => {
      metrics.loopDelay.set(w.p50 / 1000, { thread, stat: 'p50' });
      metrics.loopDelay.set(w.p99 / 1000, { thread, stat: 'p99' });
      metrics.loopDelay.set(w.max / 1000, { thread, stat: 'max' });
    },
    stall: (thread, ms) => {
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
    },
  };
}

/** Opens storage (migrated) and loads the state from it; closes storage again on failure. */
export async function openState(
  config: CpConfig,
  given: Storage | undefined,
): Promise<{
  readonly storage: Storage;
  readonly state: CpState;
  readonly leadership: Leadership | null;
}> {
  const chosen = given === undefined ? openConfiguredStorage(config) : null;
  const storage = given ?? (chosen?.storage as Storage);
  const leadership = chosen?.leadership ?? null;
  const state = new CpState(config.timings.rolloutRetentionMs);
  try {
    await storage.migrate();
    await state.loadFrom(storage);
  } catch (e) {
    await storage.close().catch(() => undefined);
    await leadership?.close();
    throw e;
  }
  return { storage, state, leadership };
}

const EVENTS_ROUTE = `POST ${EVENTS_PATH}`;

/** The revocations a follower checks: none of its own (the leader decides). */
const NO_REVOCATIONS: ReadonlyMap<string, RevocationRow> = new Map();

/** The HTTP/2 edge serving every route of `rt` (not yet listening). */
export function edgeServer(
  rt: CpRuntime,
  tls: TlsMaterial,
  hooks: {
    /** An event-ingest latency the edge measured (ms). */
    readonly eventTimed: (ms: number) => void;
    readonly loopDelay: ReturnType<typeof loopDelayReporter>;
    readonly shuttingDown: () => boolean;
  },
): CpServer {
  const { config } = rt;
  if (tls.clientCa === null) rt.log.warn('no client CA: every mTLS route will answer 401');
  return createCpServer({
    cert: tls.cert,
    key: tls.key,
    clientCa: tls.clientCa,
    ticketKeys: tls.ticketKeys,
    sessionLifetimeSecs: Math.round(config.tlsSessionLifetimeMs / 1000),
    routes: rt.replica.gate([
      ...healthRoutes(rt),
      ...agentRoutes(rt),
      ...enrollRoutes(rt),
      ...operatorRoutes(rt),
      ...actionRoutes(rt),
    ]),
    access: CP_ACCESS,
    bodyLimitBytes: config.bodyLimitBytes,
    limits: config.limits,
    clock: rt.clock,
    log: rt.log,
    metrics: rt.metrics,
    // A follower relays every request and the leader checks revocation
    // against its live state; the follower's own copy is the one loaded at
    // its start, so checking it too would refuse a withdrawn revocation.
    revocations: () => (rt.replica.leading() ? rt.state.revocations : NO_REVOCATIONS),
    onTimed: (route, ms) => {
      if (route === EVENTS_ROUTE) hooks.eventTimed(ms);
    },
    onLoopDelay: hooks.loopDelay.window,
    onStall: hooks.loopDelay.stall,
    shuttingDown: hooks.shuttingDown,
  });
}

/** Waits for the edge's in-flight requests until `deadline` (epoch ms), then aborts the rest. */
export async function drainRequests(srv: CpServer, deadline: number, log: Logger): Promise<void> {
  while (srv.inFlight() > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (srv.inFlight() > 0) {
    log.warn({ inFlight: srv.inFlight() }, 'shutdown deadline reached; aborting requests');
    srv.abortAll();
  }
}

/**
 * Waits for `p` until `deadline` (epoch ms) at the latest. The timer is
 * cleared once `p` settles: left armed it keeps the process alive for the
 * whole deadline after "stopped".
 */
export async function untilDeadline(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now())))),
  ]);
  clearTimeout(timer);
}
