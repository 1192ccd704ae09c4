// One load-generator process of the cp-load benchmark: drives its share of
// the simulated agents (each with its own certificate, TLS context and
// HTTP/2 session) as the parent (bench/cp-load.bench.ts) says over IPC
// (protocol.ts). Why several processes: one Node process driving 10,000
// agents had an event-loop delay of p99 ~25 ms and stalls up to 355 ms
// (its own GC over 10,000 sessions), which land on every latency it
// measures; a share per process keeps each heap and each burst small, and
// the kernel spreads them over the cores. It also lifts the generator's
// side of the 20,000 open-files-per-process limit.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { reconnectAt } from '../../ts/core/cp-endpoints/failover.ts';
import type { Dispatch } from '../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from '../../tests/cp/kit/agent-sim.ts';
import type { H2Client } from '../../tests/cp/kit/client.ts';
import {
  agentPorts,
  emptyRouteCounts,
  FailoverH2Client,
  type ConnectTls,
  type RouteCounts,
} from './failover-client.ts';
import type { AgentSpec, FromGenerator, StormSpec, ToGenerator } from './protocol.ts';

type Init = Extract<ToGenerator, { t: 'init' }>;

const send = (m: FromGenerator): void => {
  process.send?.(m);
};

const cpuSecs = (since?: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

let init: Init | null = null;
let creds: { ca: string; secureContext: SecureContext }[] = [];
let agents: (SimAgent | undefined)[] = [];
/** Each agent's transport to every replica (its URL order: agentPorts). */
let transports: FailoverH2Client[] = [];
let routes: RouteCounts = emptyRouteCounts(1);
/** Each agent's last TLS session ticket, as a real agent keeps it. */
const tickets: (Buffer | undefined)[] = [];
let stopping = false;
/** Resolves when the run stops: an agent's wait for its next heartbeat ends there. */
let stopped: Promise<void> = new Promise(() => undefined);
let stop: () => void = () => undefined;
let converged = 0;
let running: Promise<void>[] = [];
let heartbeatMs: number[] = [];
const eventMs: number[] = [];
const eventMsByWave: number[][] = [];
const loop = monitorEventLoopDelay({ resolution: 10 });
let runCpu: NodeJS.CpuUsage | null = null;
let progress: NodeJS.Timeout | null = null;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A uniform number in [0, 1) from `seed` and `index` (mulberry32): the same fleet draws the same spread. */
function seeded(seed: number, index: number): number {
  let t = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

async function connectAll(cfg: Init, concurrency: number, storm?: StormSpec): Promise<void> {
  const started = process.cpuUsage();
  const t0 = performance.now();
  const latencies: number[] = [];
  const doneMs: number[] = [];
  let failed = 0;
  const failures: Record<string, number> = {};
  let next = 0;
  let resumed = 0;
  let full = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= cfg.agents.length) return;
        const spec = cfg.agents[i] as AgentSpec;
        if (storm !== undefined) {
          const at = reconnectAt(0, storm.spreadMs, seeded(storm.seed, spec.index));
          await sleep(at - (performance.now() - t0));
        }
        const ticket = storm?.resume === true ? tickets[i] : undefined;
        const cred: ConnectTls = {
          ...(creds[i] as { ca: string; secureContext: SecureContext }),
          ...(ticket !== undefined ? { session: ticket } : {}),
          onSession: (t: Buffer) => {
            tickets[i] = t;
          },
        };
        const transport = transports[i] as FailoverH2Client;
        let session: H2Client['session'] | null = null;
        for (let attempt = 0; session === null; attempt++) {
          try {
            session = (await transport.open(cred)).session;
          } catch (e) {
            if (attempt > 20) throw e;
            await sleep(50 * (attempt + 1));
          }
        }
        if ((session.socket as unknown as TLSSocket).isSessionReused()) resumed += 1;
        else full += 1;
        const a = agents[i] ?? new SimAgent(spec.hostname, transport);
        agents[i] = a;
        const s = performance.now();
        const r = await a.heartbeat().catch((e: unknown) => ({ status: String(e) }));
        if (r.status !== 200) {
          failed += 1;
          const why =
            'body' in r
              ? `${r.status} ${/"code":"([A-Z_]+)"/.exec(r.body.toString())?.[1] ?? ''}`.trim()
              : r.status.slice(0, 60);
          failures[why] = (failures[why] ?? 0) + 1;
          continue;
        }
        latencies.push(performance.now() - s);
        doneMs.push(performance.now() - t0);
      }
    }),
  );
  send({
    t: 'connected',
    heartbeatMs: latencies,
    failed,
    failures,
    cpuSecs: cpuSecs(started),
    resumed,
    full,
    doneMs,
  });
}

async function timed<T>(into: number[], f: () => Promise<T>): Promise<T> {
  const s = performance.now();
  const r = await f();
  into.push(performance.now() - s);
  return r;
}

/** One agent: heartbeat every `heartbeatSecs` (random phase), long-poll, walk each dispatch. */
async function runAgent(cfg: Init, a: SimAgent, index: number): Promise<void> {
  const hb = async (): Promise<void> => {
    while (!stopping) {
      await Promise.race([sleep(cfg.heartbeatSecs * 1000), stopped]);
      if (stopping) return;
      await timed(heartbeatMs, () => a.heartbeat()).catch(() => undefined);
    }
  };
  const poll = async (): Promise<void> => {
    await sleep((index / cfg.fleetSize) * 2000);
    while (!stopping) {
      let d: Dispatch | null = null;
      try {
        d = await a.poll(60);
      } catch {
        await sleep(1000);
        continue;
      }
      if (d === null || a.seqs.has(d.rollout_id)) continue;
      const dispatch = d;
      const now = rfc3339();
      // A real activation takes seconds; each step waits up to a quarter of
      // the jitter, drawn from the run's seed (the same in every backend).
      let step = 0;
      const jitter = (): Promise<void> =>
        sleep(seeded(cfg.seed + 1 + step++, index) * (cfg.jitterMs / 4));
      const byWave = eventMsByWave[dispatch.wave] ?? (eventMsByWave[dispatch.wave] = []);
      const event = async (
        k: Parameters<SimAgent['send']>[0],
        body: Record<string, unknown>,
      ): Promise<number> => {
        const s0 = performance.now();
        const r = await timed(eventMs, () => a.send(k, dispatch.rollout_id, body as never));
        byWave.push(performance.now() - s0);
        return r.status;
      };
      const statuses = [
        await event('DispatchAck', { received_at: now, current_closure_at_dispatch: null }),
        (await jitter(),
        await event('ActivationStarted', { started_at: now, switch_method: 'sandbox' })),
        (await jitter(),
        await event('ActivationComplete', {
          completed_at: now,
          observed_current_closure: dispatch.target_closure,
          switch_exit_code: 0,
        })),
        (await jitter(), await event('ProbeTopologyDeclared', { declared_at: now, probes: [] })),
        (await jitter(),
        await event('Converged', {
          converged_at: rfc3339(),
          current_closure: dispatch.target_closure,
        })),
      ];
      if (statuses.every((s) => s === 204)) converged += 1;
      else console.error(`${a.hostname}: statuses ${statuses.join(',')}`);
    }
  };
  const phase = sleep(seeded(cfg.seed, index) * cfg.heartbeatSecs * 1000);
  await Promise.all([Promise.race([phase, stopped]).then(hb), poll()]);
}

async function onMessage(m: ToGenerator): Promise<void> {
  switch (m.t) {
    case 'init':
      init = m;
      // One TLS context per agent, built once and reused across reconnects
      // (as a real agent does); the CP still runs a full handshake with
      // client-certificate verification on every connection.
      creds = m.agents.map((a) => ({
        ca: m.caPem,
        secureContext: createSecureContext({
          ca: m.caPem,
          cert: a.cert,
          key: a.key,
          minVersion: 'TLSv1.3',
        }),
      }));
      agents = new Array<SimAgent | undefined>(m.agents.length);
      routes = emptyRouteCounts(m.ports.length);
      transports = m.agents.map((a, i) => {
        const ports = agentPorts(m.ports, a.index);
        return new FailoverH2Client(
          ports,
          ports.map((p) => m.ports.indexOf(p)),
          creds[i] as ConnectTls,
          routes,
        );
      });
      send({ t: 'ready' });
      return;
    case 'connect':
      if (init === null) throw new Error('connect before init');
      await connectAll(init, m.concurrency, m.storm);
      return;
    case 'drop':
      for (const t of transports) t.destroy();
      send({ t: 'dropped' });
      return;
    case 'run': {
      if (init === null) throw new Error('run before init');
      const cfg = init;
      stopping = false;
      stopped = new Promise((r) => (stop = r));
      heartbeatMs = [];
      loop.enable();
      runCpu = process.cpuUsage();
      running = agents.map((a, i) =>
        a === undefined ? Promise.resolve() : runAgent(cfg, a, (cfg.agents[i] as AgentSpec).index),
      );
      progress = setInterval(() => send({ t: 'progress', converged }), 1000);
      return;
    }
    case 'stop': {
      stopping = true;
      stop();
      if (progress !== null) clearInterval(progress);
      loop.disable();
      const cpu = runCpu === null ? 0 : cpuSecs(runCpu);
      for (const t of transports) t.destroy();
      await Promise.allSettled(running);
      send({
        t: 'stopped',
        eventMs,
        eventMsByWave,
        heartbeatMs,
        converged,
        routes,
        loop: {
          p50: loop.percentile(50) / 1e6,
          p99: loop.percentile(99) / 1e6,
          max: loop.max / 1e6,
        },
        cpuSecs: cpu,
      });
      return;
    }
    case 'exit':
      for (const t of transports) t.destroy();
      process.exit(0);
  }
}

process.on('message', (m: ToGenerator) => {
  onMessage(m).catch((e: unknown) => {
    send({ t: 'error', message: String((e as Error)?.stack ?? e) });
  });
});
// The parent is gone: nothing left to measure for.
process.on('disconnect', () => process.exit(0));
