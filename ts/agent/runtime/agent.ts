// Assembles a running agent from a frozen config: trust, host key, state
// directory, enrollment, the mTLS client, the activation backend, the
// reducer loop and its workers (dispatch long-poll, heartbeat, probes,
// activation, outbox delivery, timer tick, renewal). Owns start-up order and
// shutdown. Must never touch argv, env, signals or exit codes (main.ts does).
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseTrustConfigBytes, type TrustConfig } from '../../trust/index.ts';
import { effectiveReconnectSpread } from '../../core/cp-endpoints/failover.ts';
import type { ActivationBackend } from '../activation/backend.ts';
import { createNixosBackend } from '../activation/nixos.ts';
import { createSandboxBackend } from '../activation/sandbox.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { AgentConfig } from '../config/config.ts';
import { readConfiguredFile } from '../config/configured-file.ts';
import { ensureEnrolled, runRenewal } from '../enroll/enroll.ts';
import { loadHostKey, type HostKey } from '../enroll/host-key.ts';
import { AgentError } from '../errors.ts';
import { CpApi } from '../http/cp-api.ts';
import { FailoverClient } from '../http/failover.ts';
import type { TlsMaterial } from '../http/h2-client.ts';
import { createLogger } from '../log.ts';
import { readBootId } from '../probes/evidence.ts';
import { gateOfRollout } from '../probes/health-gate.ts';
import { signedProbeSetFor } from '../probes/declaration.ts';
import { ProbeScheduler } from '../probes/scheduler.ts';
import { Outbox } from '../queue/outbox.ts';
import { StateStore } from '../state/store.ts';
import { ActivationWorker } from '../workers/activation.ts';
import { DispatchWorker } from '../workers/dispatch.ts';
import { runHeartbeat } from '../workers/heartbeat.ts';
import { HostLoop } from './host-loop.ts';

/** Injectable collaborators (tests). */
export interface AgentDeps {
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly backend?: ActivationBackend;
  readonly random?: () => number;
}

/** A running agent. */
export interface RunningAgent {
  readonly loop: HostLoop;
  readonly outbox: Outbox;
  readonly api: CpApi;
  /** The transport to the control-plane URLs (which one is in use, handshakes). */
  readonly transport: FailoverClient;
  readonly store: StateStore;
  readonly backend: ActivationBackend;
  /** Resolves when every worker has stopped after {@link RunningAgent.stop}. */
  stop(): Promise<void>;
}

/** Reads and decodes trust.json; throws AGENT_ERR_TRUST. */
export function loadTrust(path: string): TrustConfig {
  const bytes = readConfiguredFile(path, {
    code: 'AGENT_ERR_TRUST',
    what: 'trust file',
    fix: "set --trust-file to the fleet's trust.json (the NixOS module installs /etc/nixfleet/agent/trust.json)",
  });
  const t = parseTrustConfigBytes(bytes);
  if (!t.ok) throw new AgentError('AGENT_ERR_TRUST', `${path}: ${t.error.message}`);
  return t.value;
}

function readPem(path: string, what: string, flag: string): string {
  return readConfiguredFile(path, {
    code: 'AGENT_ERR_TLS',
    what,
    fix: `fix ${flag} (or remove it to use the default)`,
  }).toString('utf8');
}

function tlsMaterial(config: AgentConfig, host: HostKey, ca: string | null): TlsMaterial {
  return {
    ca,
    cert: readPem(config.clientCert, 'client certificate', '--client-cert'),
    key:
      config.clientKey === null
        ? host.pkcs8Pem
        : readPem(config.clientKey, 'client key', '--client-key'),
  };
}

/**
 * Starts the agent. Enrollment (if needed) completes before this resolves;
 * enrollment failures are retried, not thrown, unless `signal` aborts.
 *
 * @example const agent = await startAgent(config); await agent.stop();
 */
export async function startAgent(
  config: AgentConfig,
  deps: AgentDeps = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<RunningAgent> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? createLogger({ level: config.logLevel, hostname: config.machineId });
  const startedAt = clock.now();
  const trust = loadTrust(config.trustFile);
  const hostKey = loadHostKey(config.sshHostKeyFile);
  const store = new StateStore(config.stateDir);
  // Fail closed before enrolling: an unusable snapshot or mark file stops the
  // agent here (AGENT_ERR_STATE_UNUSABLE, exit 1), and an older agent's
  // files are migrated into the snapshot once.
  store.loadSnapshot();
  store.loadHighWater();
  const ca = config.caCert === null ? null : readPem(config.caCert, 'CA certificate', '--ca-cert');
  const stopper = new AbortController();
  const stopSignal = AbortSignal.any ? AbortSignal.any([signal, stopper.signal]) : stopper.signal;
  const { timings } = config;

  const random = deps.random ?? Math.random;
  const transport = (tls: TlsMaterial, resumeTls: boolean): FailoverClient =>
    new FailoverClient({
      origins: config.controlPlaneUrls,
      tls,
      agentVersion: config.agentVersion,
      timeoutMs: timings.requestTimeoutMs,
      clock,
      random,
      // Between rounds in which no URL answered; the workers add their own pacing.
      backoff: { baseMs: timings.backoffBaseMs, maxMs: Math.min(timings.backoffMaxMs, 60_000) },
      reconnectSpreadMs: effectiveReconnectSpread(
        timings.reconnectSpreadMs,
        timings.heartbeatIntervalMs,
      ),
      resumeTls,
      log: log.child({ worker: 'transport' }),
    });
  // Enrollment runs once, without a client certificate: nothing to resume.
  const bootstrapClient = transport({ ca, cert: null, key: null }, false);
  const common = {
    hostname: config.machineId,
    hostKey,
    certPath: config.clientCert,
    clock,
    log,
    agentVersion: config.agentVersion,
    backoffBaseMs: timings.backoffBaseMs,
    backoffMaxMs: timings.backoffMaxMs,
    signal: stopSignal,
  };
  try {
    await ensureEnrolled({
      ...common,
      bootstrapTokenFile: config.bootstrapTokenFile,
      api: new CpApi(bootstrapClient, config.machineId, timings.longPollTimeoutMs),
    });
  } finally {
    bootstrapClient.close();
  }

  const http = transport(tlsMaterial(config, hostKey, ca), true);
  const api = new CpApi(http, config.machineId, timings.longPollTimeoutMs);
  const backend =
    deps.backend ??
    (config.activationBackend === 'sandbox'
      ? createSandboxBackend({ root: config.sandboxRoot, storeUri: config.storeUri ?? undefined })
      : createNixosBackend({ storeUri: config.storeUri }));
  const outbox = new Outbox({
    dir: config.stateDir,
    clock,
    log: log.child({ worker: 'outbox' }),
    backoffBaseMs: timings.backoffBaseMs,
    backoffMaxMs: timings.backoffMaxMs,
    random: deps.random,
  });

  // The loop and its workers reference each other; the closures resolve late.
  let loop: HostLoop | null = null;
  const post = (e: Parameters<HostLoop['postHost']>[0]): void => loop?.postHost(e);
  const probes = new ProbeScheduler({
    hostname: config.machineId,
    hostKey: hostKey.key,
    clock,
    log: log.child({ worker: 'probes' }),
    configPath: async () => config.healthChecksConfig ?? (await backend.defaultHealthChecksPath()),
    evidenceDir: join(config.stateDir, 'evidence'),
    bootId: readBootId(),
    context: () => ({
      rolloutId: loop?.snapshot.record?.rolloutId ?? null,
      generation: loop?.snapshot.record?.currentClosure ?? null,
    }),
    signedProbes: () =>
      signedProbeSetFor(store, loop?.snapshot.record?.rolloutId ?? null, config.machineId),
    post,
    healthGate: () => gateOfRollout(store, loop?.snapshot.record?.rolloutId ?? null),
    failedUnits: () => backend.failedUnits(),
    hostFile: (p) => backend.hostFile(p),
  });
  const activation = new ActivationWorker({
    backend,
    clock,
    log: log.child({ worker: 'activation' }),
    timings,
    post,
    persist: (saved) => loop?.persistActivation(saved),
    signal: stopSignal,
  });
  loop = new HostLoop({
    hostname: config.machineId,
    clock,
    log: log.child({ worker: 'reducer' }),
    store,
    outbox,
    timings,
    probes,
    activation,
  });
  const hostLoop = loop;
  await hostLoop.recover();

  const dispatch = new DispatchWorker({
    config,
    trust,
    api,
    loop: hostLoop,
    store,
    clock,
    log: log.child({ worker: 'dispatch' }),
  });
  const tick = async (): Promise<void> => {
    while (!stopSignal.aborted) {
      await clock.sleep(timings.tickMs, stopSignal);
      if (hostLoop.snapshot.record?.state === 'Soaking') {
        hostLoop.postHost({ kind: 'LocalTick', at: clock.now() });
      }
    }
  };
  const workers = [
    hostLoop.run(stopSignal),
    outbox.run((ev, s) => api.postEvent(ev, s), stopSignal),
    dispatch.run(stopSignal),
    runHeartbeat(
      {
        config,
        api,
        loop: hostLoop,
        outbox,
        backend,
        clock,
        log: log.child({ worker: 'heartbeat' }),
        startedAt,
      },
      stopSignal,
    ),
    tick(),
    runRenewal({
      ...common,
      api,
      onRenewed: (certPem) => http.setTls({ ...tlsMaterial(config, hostKey, ca), cert: certPem }),
    }),
  ].map((p) => p.catch((e: unknown) => log.error({ err: e }, 'worker crashed')));
  log.info(
    { backend: backend.name, stateDir: config.stateDir, cp: config.controlPlaneUrls },
    'agent started',
  );

  return {
    loop: hostLoop,
    outbox,
    api,
    transport: http,
    store,
    backend,
    async stop() {
      stopper.abort();
      probes.stop();
      http.close();
      await Promise.all(workers);
    },
  };
}
