// Load benchmark of the control plane over real mTLS: N simulated agents,
// each with its own ed25519 client certificate and HTTP/2 session, heartbeat
// every 60 s and hold dispatch long-polls while a 3-wave rollout (1 % / 9 % /
// 90 %) runs; each dispatched agent walks the RFC-0005 event sequence. The
// CP runs as a separate process (the real binary), so its RSS and CPU are
// measured alone. Reports p50/p99/p99.9 of event ingest and heartbeat
// (client round trip; a 204 means durably committed), reconcile tick time
// (from the CP's own histogram), the reconnect storm (every agent reconnects
// at once) and CP RSS/CPU.
//
// Run: npx tsx bench/cp-load.bench.ts --hosts 1000 [--steady-secs 90]
//      [--activation-jitter-ms 5000] [--profile <dir>] [--cp-flags "<flags>"]
//      [--cp-node-flags "<node flags>"] [--cp-stdout <file>] [--generators K]
//      [--gen-node-flags "<node flags>"] [--generator-nice 10] [--storm 0]
// (--storm 0: no closing storm; bench/reconnect-storm.bench.ts measures it)
//
// The agents are driven by K generator processes (bench/cp-load/generator.ts;
// default one per 2,500 agents, at most 8), agent i by process i mod K; this
// process only orchestrates them over IPC, measures the CP and runs the
// baseline and the whoami probe on sessions of its own. One process driving
// 10,000 agents had event-loop stalls of up to 355 ms (its own GC), which
// landed on every latency it measured.
//
// Every run prints its figures against a baseline measured in the same run
// (300 sequential heartbeats of one idle agent, before any load) and the
// machine's CPU pressure (PSI) and load average: the two cores are shared
// with other engineers' workloads, and a run under contention is not
// comparable with a quiet one. The generator reuses one TLS context per
// agent across reconnects (as a real agent does); the CP still performs a
// full handshake with client-certificate verification for every connection.
// The process fd limit here is 20,000 (hard, not raisable), so 19,900 hosts
// is the largest run one CP process can hold.
//
// Figures, dated, one file per campaign: bench/results/cp-load-*.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimAgent, rfc3339 } from '../tests/cp/kit/agent-sim.ts';
import { connect } from '../tests/cp/kit/client.ts';
import { makePki, type TestPki } from '../tests/cp/kit/pki.ts';
import { makeTrust, writeRelease, type HostSpec } from '../tests/cp/kit/release.ts';
import { cpServeArgs } from './cp-load/cp-argv.ts';
import { startGenerator } from './cp-load/generator-process.ts';
import {
  cpuPressureUs,
  fmt,
  freePort,
  listenOverflows,
  metric,
  pct,
  procStats,
  shareWithin,
  stalls,
} from './cp-load/measure.ts';
import type { AgentSpec } from './cp-load/protocol.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const N = Number(args.get('hosts') ?? 1000);
const STEADY_SECS = Number(args.get('steady-secs') ?? 90);
const HEARTBEAT_SECS = 60;
/** Spread of activation time per host (a real switch takes seconds to minutes). */
const JITTER_MS = Number(args.get('activation-jitter-ms') ?? 5000);
const COMMIT = 'abcdef0123456789abcdef0123456789abcdef01';
/** Extra CP flags, e.g. `--cp-flags "--dispatch-rate 0"` (the unpaced configuration). */
const CP_FLAGS = (args.get('cp-flags') ?? '').split(/\s+/).filter((x) => x !== '');
/** Node/V8 flags for the CP process, e.g. `--cp-node-flags "--trace-gc"`. */
const CP_NODE_FLAGS = (args.get('cp-node-flags') ?? '').split(/\s+/).filter((x) => x !== '');
/** Node/V8 flags for the generator processes, e.g. `--gen-node-flags "--trace-gc"`. */
const GEN_NODE_FLAGS = (args.get('gen-node-flags') ?? '').split(/\s+/).filter((x) => x !== '');
/** Load-generator processes (bench/cp-load/generator.ts): one per 2,500 agents, at most 8. */
const GENERATORS = Number(args.get('generators') ?? Math.min(8, Math.max(1, Math.ceil(N / 2500))));
/**
 * Niceness of the generator processes (0: the CP's own priority). They stand
 * in for 10,000 agents that run on other machines; on the CP's two cores
 * they took 30–41 s of CPU per rollout phase, and each time the scheduler
 * ran one of them instead of a runnable CP thread that delay landed on the
 * CP's ingest latency (bench/results/cp-load-2026-11-22.md).
 */
const GENERATOR_NICE = Number(args.get('generator-nice') ?? 10);
if (!Number.isInteger(GENERATOR_NICE) || GENERATOR_NICE < 0 || GENERATOR_NICE > 19) {
  throw new Error('--generator-nice must be an integer 0..19');
}
/** Set once the run is over: a generator exiting then is expected. */
let closing = false;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cp-bench-'));
  const release = join(dir, 'release');
  mkdirSync(release);
  const pki: TestPki = await makePki(dir);
  const trust = makeTrust(dir);
  const port = await freePort();
  const w0 = Math.max(1, Math.round(N * 0.01));
  const w1 = Math.max(1, Math.round(N * 0.09));
  const hosts: HostSpec[] = Array.from({ length: N }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    channel: 'stable',
    wave: i < w0 ? 0 : i < w0 + w1 ? 1 : 2,
  }));
  const cp: ChildProcess = spawn(
    process.execPath,
    [
      ...CP_NODE_FLAGS,
      ...(args.has('profile')
        ? ['--cpu-prof', `--cpu-prof-dir=${String(args.get('profile'))}`]
        : []),
      ...cpServeArgs({
        port,
        pki,
        trustFile: trust.trustFile,
        db: join(dir, 'state', 'state.db'),
        releaseDir: release,
      }),
      '--poll-interval-secs',
      '2',
      '--heartbeat-interval-secs',
      String(HEARTBEAT_SECS),
      '--planning-warmup-secs',
      '0',
      '--log-level',
      'warn',
      ...CP_FLAGS,
    ],
    {
      stdio: [
        'ignore',
        args.has('cp-stdout') ? openSync(String(args.get('cp-stdout')), 'w') : 'ignore',
        'inherit',
      ],
    },
  );
  const pid = cp.pid as number;
  // Never leave the CP behind if the generator dies.
  process.on('exit', () => cp.kill('SIGKILL'));
  for (let i = 0; ; i++) {
    try {
      const c = await connect(port, { ca: pki.caPem });
      c.close();
      break;
    } catch {
      if (i > 100) throw new Error('CP did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const idle = procStats(pid);
  console.log(
    `# cp-load: ${N} hosts, waves ${w0}/${w1}/${N - w0 - w1}, activation jitter ${JITTER_MS} ms, CP pid ${pid}, idle RSS ${(idle.rss / 2 ** 20).toFixed(0)} MiB`,
  );

  // Certificates: one per agent, issued by the fleet CA.
  let t0 = performance.now();
  const specs: AgentSpec[] = [];
  for (const [index, h] of hosts.entries()) {
    const c = await pki.client(h.name);
    specs.push({ index, hostname: h.name, cert: c.cert, key: c.key });
  }
  console.log(`certificates: ${N} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The generator processes: agent i belongs to generator i mod K, so every
  // wave is spread over all of them.
  const gens = Array.from({ length: GENERATORS }, () =>
    startGenerator(GEN_NODE_FLAGS, () => closing, GENERATOR_NICE),
  );
  process.on('exit', () => gens.forEach((g) => g.proc.kill('SIGKILL')));
  await Promise.all(
    gens.map((g, k) =>
      g.ask(
        {
          t: 'init',
          port,
          caPem: pki.caPem,
          fleetSize: N,
          heartbeatSecs: HEARTBEAT_SECS,
          jitterMs: JITTER_MS,
          agents: specs.filter((s) => s.index % GENERATORS === k),
        },
        'ready',
      ),
    ),
  );
  let failedHeartbeats = 0;
  /** Every generator connects its agents (at most `concurrency` at once in all) and heartbeats once. */
  const connectAll = async (
    concurrency: number,
  ): Promise<{ ms: number; heartbeatMs: number[]; cpuSecs: number }> => {
    const started = performance.now();
    const replies = await Promise.all(
      gens.map((g) =>
        g.ask({ t: 'connect', concurrency: Math.ceil(concurrency / GENERATORS) }, 'connected'),
      ),
    );
    const ms = performance.now() - started;
    failedHeartbeats += replies.reduce((n, r) => n + r.failed, 0);
    return {
      ms,
      heartbeatMs: replies.flatMap((r) => r.heartbeatMs),
      cpuSecs: replies.reduce((n, r) => n + r.cpuSecs, 0),
    };
  };
  const connected = await connectAll(200);
  console.log(
    `connect + first heartbeat: ${N} agents in ${(connected.ms / 1000).toFixed(1)} s (${GENERATORS} generator processes at nice ${GENERATOR_NICE})`,
  );

  // Baseline, measured in this run before any load: one agent's sequential
  // heartbeats (TLS + HTTP/2 + schema + mutator + durable commit, no
  // queueing), over its own session from this process.
  const first = specs[0] as AgentSpec;
  const baseAgent = new SimAgent(
    first.hostname,
    await connect(port, { ca: pki.caPem, cert: first.cert, key: first.key }),
  );
  const baselineMs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const s = performance.now();
    await baseAgent.heartbeat();
    baselineMs.push(performance.now() - s);
  }
  baseAgent.client.close();
  console.log(`baseline (idle, sequential heartbeats): ${fmt(baselineMs)}`);

  // The probe: one more session (the last host's certificate) asking
  // /v1/whoami every 250 ms, a view of stalls over time.
  let stopping = false;
  const last = specs[N - 1] as AgentSpec;
  const probeClient = await connect(port, { ca: pki.caPem, cert: last.cert, key: last.key });
  const probe: [number, number][] = [];
  const probeLoop = (async () => {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, 250));
      const s = performance.now();
      await probeClient.request('/v1/whoami').catch(() => undefined);
      probe.push([s, performance.now() - s]);
    }
  })();

  // Steady behaviour: heartbeat every 60 s (jittered), hold a long-poll, run the dispatch.
  const cpuStart = procStats(pid).cpuSecs;
  const pressureStart = cpuPressureUs();
  gens.forEach((g) => g.send({ t: 'run' }));
  // Release only once the agents' long-polls are in: all 10,000 open at once
  // here, which keeps the edge busy for 2-3 s; released earlier, that burst
  // overlaps the first wave and is measured as its ingest latency.
  const settleStart = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const waiting = await metric(port, pki.caPem, 'nixfleet_cp_dispatch_waiters').catch(() => 0);
    if (waiting >= N * 0.99 || performance.now() - settleStart > 30_000) {
      console.log(
        `steady: ${waiting} long-polls open ${((performance.now() - settleStart) / 1000).toFixed(1)} s after the agents started`,
      );
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 2000));

  // Release: the CP polls it within 2 s and the rollout starts.
  const stallsStart = await stalls(port, pki.caPem);
  t0 = performance.now();
  writeRelease(release, trust, {
    hosts,
    soakMinutes: [0, 0, 0],
    ciCommit: COMMIT,
    signedAt: rfc3339(),
  });
  let peakRss = 0;
  let rolloutSecs = NaN;
  const converged = (): number => gens.reduce((n, g) => n + g.converged, 0);
  const deadline = Date.now() + Math.max(STEADY_SECS, 30) * 1000 + 300_000;
  /** The pacer's rate in use, each second of the rollout (admission control at work). */
  const rates: number[] = [];
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    peakRss = Math.max(peakRss, procStats(pid).rss);
    if (Number.isNaN(rolloutSecs)) {
      rates.push(await metric(port, pki.caPem, 'nixfleet_cp_dispatch_rate').catch(() => NaN));
    }
    if (converged() >= N && Number.isNaN(rolloutSecs)) {
      rolloutSecs = (performance.now() - t0) / 1000;
      console.log(`rollout: all ${N} hosts converged ${rolloutSecs.toFixed(1)} s after release`);
    }
    if (!Number.isNaN(rolloutSecs) && (performance.now() - t0) / 1000 >= STEADY_SECS) break;
  }
  console.log(
    `dispatch rate in use, by second after release (hosts/s): ${rates.map((r) => r.toFixed(0)).join(' ')}`,
  );
  const cpuUsed = procStats(pid).cpuSecs - cpuStart;
  const pressure = (cpuPressureUs() - pressureStart) / 1e6;
  const wall = (performance.now() - t0) / 1000 + 3;
  // Before the generators drop their sessions: 10,000 closing at once keep
  // the edge busy for 0.5-2.5 s, which is not the rollout's doing.
  const stallsEnd = await stalls(port, pki.caPem);

  // Rollout phase over: the generators stop their agents, drop every
  // session and report.
  stopping = true;
  const stopped = await Promise.all(gens.map((g) => g.ask({ t: 'stop' }, 'stopped')));
  await probeLoop;
  probeClient.close();
  const eventMs = stopped.flatMap((r) => r.eventMs);
  const eventMsByWave: number[][] = [];
  for (const r of stopped) {
    r.eventMsByWave.forEach((xs, w) => (eventMsByWave[w] ??= []).push(...(xs ?? [])));
  }
  const steadyHeartbeatMs = stopped.flatMap((r) => r.heartbeatMs);
  const convergedCount = stopped.reduce((n, r) => n + r.converged, 0);
  const loops = stopped.map((r) => r.loop);
  const worst = (k: 'p50' | 'p99' | 'max'): string =>
    Math.max(...loops.map((l) => l[k])).toFixed(1);
  console.log(
    `load generators (${GENERATORS} processes) CPU: ${stopped.reduce((n, r) => n + r.cpuSecs, 0).toFixed(1)} s; their event-loop delay p50/p99/max (worst process) ${worst('p50')} / ${worst('p99')} / ${worst('max')} ms`,
  );
  const stallLine = (t: 'main' | 'edge'): string =>
    `${t} ${stallsEnd[t].n - stallsStart[t].n} (${(1000 * (stallsEnd[t].secs - stallsStart[t].secs)).toFixed(0)} ms in all)`;
  const tickCount = await metric(port, pki.caPem, 'nixfleet_cp_reconcile_tick_seconds_count');
  const tickSum = await metric(port, pki.caPem, 'nixfleet_cp_reconcile_tick_seconds_sum');
  const commitCount = await metric(port, pki.caPem, 'nixfleet_cp_commit_seconds_count');
  const commitSum = await metric(port, pki.caPem, 'nixfleet_cp_commit_seconds_sum');
  const srv = async (n: string): Promise<string> =>
    `${((1000 * (await metric(port, pki.caPem, `${n}_sum`))) / (await metric(port, pki.caPem, `${n}_count`))).toFixed(2)} ms`;
  const within = async (n: string, le: string, series = ''): Promise<string> =>
    `${(100 * (await shareWithin(port, pki.caPem, n, le, series))).toFixed(2)} %`;
  // The edge's view: from the request's headers at the CP's edge thread to
  // the reply handed to TLS, i.e. everything the CP does (TLS and HTTP/2
  // excepted) and nothing the load generator does.
  const EVENTS = 'route="POST /v1/agent/events"';
  const edge = 'nixfleet_cp_request_seconds';
  console.log(
    `CP edge (headers in to reply out): event ingest within 25 / 50 / 100 ms: ${await within(edge, '0.025', EVENTS)} / ${await within(edge, '0.05', EVENTS)} / ${await within(edge, '0.1', EVENTS)}`,
  );
  console.log(
    `server-side (submit to durable): event ingest within 25 / 50 / 100 ms: ${await within('nixfleet_cp_event_ingest_seconds', '0.025')} / ${await within('nixfleet_cp_event_ingest_seconds', '0.05')} / ${await within('nixfleet_cp_event_ingest_seconds', '0.1')}`,
  );
  console.log(
    `server-side means: event ingest ${await srv('nixfleet_cp_event_ingest_seconds')}, heartbeat ${await srv('nixfleet_cp_heartbeat_seconds')}`,
  );
  const hz = await (async () => {
    const c = await connect(port, { ca: pki.caPem });
    const j = (await c.request('/healthz', { noProtocol: true })).json<Record<string, unknown>>();
    c.close();
    return j;
  })();

  // Rollout-phase figures first, so a storm that runs out of time loses nothing.
  console.log(`[rollout phase] event ingest: ${fmt(eventMs)}`);
  eventMsByWave.forEach((xs, w) =>
    console.log(`[rollout phase] event ingest, wave ${w}: ${fmt(xs)}`),
  );
  console.log(`[rollout phase] heartbeat (steady): ${fmt(steadyHeartbeatMs)}`);
  console.log(
    `[rollout phase] CP event-loop stalls of 100 ms or more: ${stallLine('main')}, ${stallLine('edge')}`,
  );
  console.log(
    `[rollout phase] ticks ${tickCount}, mean ${((tickSum / tickCount) * 1000).toFixed(1)} ms; RSS peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; CP CPU ${cpuUsed.toFixed(1)} s`,
  );

  // Reconnect storm: every session was dropped at once; all reconnect concurrently.
  const stormBefore = procStats(pid).cpuSecs;
  const overflowsBefore = listenOverflows();
  const storm =
    args.get('storm') === '0'
      ? { ms: NaN, heartbeatMs: [] as number[], cpuSecs: NaN }
      : await connectAll(N);
  const stormCpu = procStats(pid).cpuSecs - stormBefore;
  const stormOverflows = listenOverflows() - overflowsBefore;
  peakRss = Math.max(peakRss, procStats(pid).rss);

  const windows = new Map<number, number[]>();
  for (const [at, ms] of probe) {
    const w = Math.floor((at - t0) / 5000);
    windows.set(w, [...(windows.get(w) ?? []), ms]);
  }
  console.log(
    `whoami probe by 5 s window (max ms): ${[...windows].map(([w, xs]) => `${w * 5}s:${Math.max(...xs).toFixed(0)}`).join(' ')}`,
  );
  console.log(
    `converged: ${convergedCount}/${N}${Number.isNaN(rolloutSecs) ? ' (rollout did not finish)' : ''}`,
  );
  const ratio = (xs: number[]): string =>
    `×${(pct(xs, 50) / pct(baselineMs, 50)).toFixed(1)} / ×${(pct(xs, 99) / pct(baselineMs, 99)).toFixed(1)} of baseline p50/p99`;
  console.log(`event ingest (204 after durable commit): ${fmt(eventMs)} (${ratio(eventMs)})`);
  console.log(
    `heartbeat (steady, 60 s cadence): ${fmt(steadyHeartbeatMs)} (${ratio(steadyHeartbeatMs)})`,
  );
  console.log(
    `heartbeat (during the reconnect storm): ${fmt(storm.heartbeatMs)} (${ratio(storm.heartbeatMs)})`,
  );
  console.log(`heartbeats failed (error or timeout) while connecting: ${failedHeartbeats}`);
  console.log(
    `reconcile tick (plan + apply, before commit): ${tickCount} ticks, mean ${((tickSum / tickCount) * 1000).toFixed(1)} ms, last ${Number(hz['last_tick_ms']).toFixed(1)} ms`,
  );
  console.log(
    `group commit: ${commitCount} commits, mean ${((commitSum / commitCount) * 1000).toFixed(2)} ms`,
  );
  console.log(
    `reconnect storm: ${N} agents reconnected + heartbeat in ${(storm.ms / 1000).toFixed(1)} s (CP CPU ${stormCpu.toFixed(1)} s = ${((stormCpu / N) * 1000).toFixed(2)} ms per agent; generator CPU ${storm.cpuSecs.toFixed(1)} s; accept-queue overflows ${stormOverflows})`,
  );
  console.log(
    `CP RSS: peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; CP CPU: ${cpuUsed.toFixed(1)} s over ${wall.toFixed(0)} s (${((cpuUsed / wall) * 100).toFixed(0)} % of one core)`,
  );
  console.log(
    `machine CPU pressure during the rollout phase: some-stall ${pressure.toFixed(1)} s over ${wall.toFixed(0)} s (${((pressure / wall) * 100).toFixed(0)} %; a quiet machine is near 0 %), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  closing = true;
  gens.forEach((g) => g.send({ t: 'exit' }));
  cp.kill('SIGTERM');
  await new Promise((r) => cp.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

await main();
