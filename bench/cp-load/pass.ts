// One pass of the cp-load benchmark: the control planes of one backend
// (cp-set.ts), fresh generator processes driving the fleet against them,
// the baseline, the rollout and the reconnect storm; prints its figures as
// it goes and returns them for the side-by-side table (figures.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimAgent, rfc3339 } from '../../tests/cp/kit/agent-sim.ts';
import { connect } from '../../tests/cp/kit/client.ts';
import type { TestPki } from '../../tests/cp/kit/pki.ts';
import { writeRelease, type HostSpec, type TestTrust } from '../../tests/cp/kit/release.ts';
import { startCpSet, type Backend, type CpSet } from './cp-set.ts';
import { emptyRouteCounts } from './failover-client.ts';
import { bucketsOf, type PassFigures, type ReplicaFigures } from './figures.ts';
import { startGenerator } from './generator-process.ts';
import {
  cpuPressureUs,
  fmt,
  listenOverflows,
  metric,
  pct,
  procStats,
  scrape,
  shareWithin,
  stalls,
  treeCpuSecs,
} from './measure.ts';
import type { AgentSpec } from './protocol.ts';

const COMMIT = 'abcdef0123456789abcdef0123456789abcdef01';
const EVENTS = 'route="POST /v1/agent/events"';

/** What every pass of one invocation shares: the fleet, its certificates, the settings. */
export interface PassContext {
  readonly hosts: readonly HostSpec[];
  readonly specs: readonly AgentSpec[];
  readonly pki: TestPki;
  readonly trust: TestTrust;
  readonly steadySecs: number;
  readonly heartbeatSecs: number;
  readonly jitterMs: number;
  readonly seed: number;
  readonly generators: number;
  readonly generatorNice: number;
  readonly genNodeFlags: readonly string[];
  readonly cpNodeFlags: readonly string[];
  readonly cpFlags: readonly string[];
  readonly cpStdout: string | null;
  readonly replicas: number;
  /** Run the closing reconnect storm (`--storm 0` skips it). */
  readonly storm: boolean;
}

/** A follower's `nixfleet_cp_forwarded_total` by outcome, all routes summed. */
function forwardedByOutcome(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^nixfleet_cp_forwarded_total\{[^}]*outcome="([^"]*)"[^}]*\} (\S+)$/gm,
  )) {
    out[m[1] as string] = (out[m[1] as string] ?? 0) + Number(m[2]);
  }
  return out;
}

/** A follower's `nixfleet_cp_forwarded_total`, all routes: relayed, or answered not-leader instead. */
function forwardedOf(text: string, relayed: boolean): number {
  let n = 0;
  for (const m of text.matchAll(/^nixfleet_cp_forwarded_total\{([^}]*)\} (\S+)$/gm)) {
    if ((m[1] ?? '').includes('outcome="relayed"') === relayed) n += Number(m[2]);
  }
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentiles = (xs: number[]): { n: number; p50: number; p99: number } => ({
  n: xs.length,
  p50: pct(xs, 50),
  p99: pct(xs, 99),
});

export async function runPass(
  ctx: PassContext,
  backend: Backend,
  dir: string,
): Promise<PassFigures> {
  const N = ctx.hosts.length;
  const label = backend === 'sqlite' ? 'SQLite' : `PostgreSQL, ${ctx.replicas} replicas`;
  const say = (s: string): void => console.log(`[${label}] ${s}`);
  const releaseDir = join(dir, 'release');
  mkdirSync(releaseDir, { recursive: true });
  const cps: CpSet = await startCpSet({
    backend,
    replicas: ctx.replicas,
    dir,
    pki: ctx.pki,
    trustFile: ctx.trust.trustFile,
    releaseDir,
    nodeFlags: ctx.cpNodeFlags,
    flags: [
      '--poll-interval-secs',
      '2',
      '--heartbeat-interval-secs',
      String(ctx.heartbeatSecs),
      '--planning-warmup-secs',
      '0',
      '--log-level',
      'warn',
      ...ctx.cpFlags,
    ],
    stdout: ctx.cpStdout,
  });
  const leader = cps.procs[0] as CpSet['procs'][number];
  const port = leader.port;
  const ca = ctx.pki.caPem;
  say(
    `${cps.procs.map((p) => `${p.name} ${p.role} pid ${p.pid} port ${p.port} idle RSS ${(procStats(p.pid).rss / 2 ** 20).toFixed(0)} MiB`).join('; ')}`,
  );

  let closing = false;
  const gens = Array.from({ length: ctx.generators }, () =>
    startGenerator(ctx.genNodeFlags, () => closing, ctx.generatorNice),
  );
  const killGens = (): void => gens.forEach((g) => g.proc.kill('SIGKILL'));
  process.on('exit', killGens);
  await Promise.all(
    gens.map((g, k) =>
      g.ask(
        {
          t: 'init',
          ports: cps.procs.map((p) => p.port),
          caPem: ca,
          seed: ctx.seed,
          fleetSize: N,
          heartbeatSecs: ctx.heartbeatSecs,
          jitterMs: ctx.jitterMs,
          agents: ctx.specs.filter((s) => s.index % ctx.generators === k),
        },
        'ready',
      ),
    ),
  );
  let failedHeartbeats = 0;
  const failures: Record<string, number> = {};
  const connectAll = async (
    concurrency: number,
  ): Promise<{ ms: number; heartbeatMs: number[] }> => {
    const started = performance.now();
    const replies = await Promise.all(
      gens.map((g) =>
        g.ask({ t: 'connect', concurrency: Math.ceil(concurrency / ctx.generators) }, 'connected'),
      ),
    );
    failedHeartbeats += replies.reduce((n, r) => n + r.failed, 0);
    for (const r of replies) {
      for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    }
    return { ms: performance.now() - started, heartbeatMs: replies.flatMap((r) => r.heartbeatMs) };
  };
  const connected = await connectAll(200);
  say(`connect + first heartbeat: ${N} agents in ${(connected.ms / 1000).toFixed(1)} s`);

  // Baseline, before any load: one agent's sequential heartbeats to the
  // leader over a session of this process.
  const first = ctx.specs[0] as AgentSpec;
  const baseAgent = new SimAgent(
    first.hostname,
    await connect(port, { ca, cert: first.cert, key: first.key }),
  );
  const baselineMs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const s = performance.now();
    await baseAgent.heartbeat();
    baselineMs.push(performance.now() - s);
  }
  baseAgent.client.close();
  say(`baseline (idle, sequential heartbeats to the leader): ${fmt(baselineMs)}`);

  // The probe: one more session (the last host's certificate) asking the
  // leader's /v1/whoami every 250 ms, a view of stalls over time.
  let probing = true;
  const last = ctx.specs[N - 1] as AgentSpec;
  const probeClient = await connect(port, { ca, cert: last.cert, key: last.key });
  const probe: [number, number][] = [];
  const probeLoop = (async () => {
    while (probing) {
      await sleep(250);
      const s = performance.now();
      await probeClient.request('/v1/whoami').catch(() => undefined);
      probe.push([s, performance.now() - s]);
    }
  })();

  const cpuStart = cps.procs.map((p) => procStats(p.pid).cpuSecs);
  const pgCpu = (): number => (cps.postgresPid === null ? NaN : treeCpuSecs(cps.postgresPid));
  const pgCpuStart = pgCpu();
  const pressureStart = cpuPressureUs();
  gens.forEach((g) => g.send({ t: 'run' }));
  // Release only once the agents' long-polls are in (they all open at once).
  const settleStart = performance.now();
  for (;;) {
    await sleep(500);
    const waiting = await metric(port, ca, 'nixfleet_cp_dispatch_waiters').catch(() => 0);
    if (waiting >= N * 0.99 || performance.now() - settleStart > 30_000) {
      say(
        `steady: ${waiting} long-polls open on the leader after ${((performance.now() - settleStart) / 1000).toFixed(1)} s`,
      );
      break;
    }
  }
  await sleep(2000);

  const stallsStart = await stalls(port, ca);
  const t0 = performance.now();
  writeRelease(releaseDir, ctx.trust, {
    hosts: [...ctx.hosts],
    soakMinutes: [0, 0, 0],
    ciCommit: COMMIT,
    signedAt: rfc3339(),
  });
  const peakRss = cps.procs.map(() => 0);
  const sampleRss = (): void =>
    cps.procs.forEach((p, i) => (peakRss[i] = Math.max(peakRss[i] ?? 0, procStats(p.pid).rss)));
  let rolloutSecs = NaN;
  /** The pacer's rate in use, each second of the rollout (admission control at work). */
  const rates: number[] = [];
  const deadline = Date.now() + Math.max(ctx.steadySecs, 30) * 1000 + 300_000;
  while (Date.now() < deadline) {
    await sleep(1000);
    sampleRss();
    if (Number.isNaN(rolloutSecs)) {
      rates.push(await metric(port, ca, 'nixfleet_cp_dispatch_rate').catch(() => NaN));
    }
    if (gens.reduce((n, g) => n + g.converged, 0) >= N && Number.isNaN(rolloutSecs)) {
      rolloutSecs = (performance.now() - t0) / 1000;
      say(`rollout: all ${N} hosts converged ${rolloutSecs.toFixed(1)} s after release`);
    }
    if (!Number.isNaN(rolloutSecs) && (performance.now() - t0) / 1000 >= ctx.steadySecs) break;
  }
  const cpuUsed = cps.procs.map((p, i) => procStats(p.pid).cpuSecs - (cpuStart[i] ?? 0));
  const pgCpuUsed = pgCpu() - pgCpuStart;
  const pressure = (cpuPressureUs() - pressureStart) / 1e6;
  const wall = (performance.now() - t0) / 1000 + 3;
  const stallsEnd = await stalls(port, ca);

  say(
    `dispatch rate in use, by second after release (hosts/s): ${rates.map((r) => r.toFixed(0)).join(' ')}`,
  );
  probing = false;
  const stopped = await Promise.all(gens.map((g) => g.ask({ t: 'stop' }, 'stopped')));
  await probeLoop;
  probeClient.close();
  const windows = new Map<number, number[]>();
  for (const [at, ms] of probe) {
    const w = Math.floor((at - t0) / 5000);
    windows.set(w, [...(windows.get(w) ?? []), ms]);
  }
  say(
    `whoami probe by 5 s window after release (max ms): ${[...windows].map(([w, xs]) => `${w * 5}s:${Math.max(...xs).toFixed(0)}`).join(' ')}`,
  );
  const loops = stopped.map((r) => r.loop);
  const worst = (k: 'p50' | 'p99' | 'max'): string =>
    Math.max(...loops.map((l) => l[k])).toFixed(1);
  say(
    `load generators (${ctx.generators} processes at nice ${ctx.generatorNice}) CPU ${stopped.reduce((n, r) => n + r.cpuSecs, 0).toFixed(1)} s; event-loop delay p50/p99/max (worst process) ${worst('p50')} / ${worst('p99')} / ${worst('max')} ms`,
  );
  const eventMs = stopped.flatMap((r) => r.eventMs);
  const steadyHeartbeatMs = stopped.flatMap((r) => r.heartbeatMs);
  const routes = emptyRouteCounts(cps.procs.length);
  for (const r of stopped) {
    r.routes.answered.forEach((x, i) => (routes.answered[i] = (routes.answered[i] ?? 0) + x));
    r.routes.notLeader.forEach((x, i) => (routes.notLeader[i] = (routes.notLeader[i] ?? 0) + x));
    routes.failovers += r.routes.failovers;
    routes.exhausted += r.routes.exhausted;
  }
  const tickCount = await metric(port, ca, 'nixfleet_cp_reconcile_tick_seconds_count');
  const tickSum = await metric(port, ca, 'nixfleet_cp_reconcile_tick_seconds_sum');
  const stallLine = (t: 'main' | 'edge'): string =>
    `${t} ${stallsEnd[t].n - stallsStart[t].n} (${(1000 * (stallsEnd[t].secs - stallsStart[t].secs)).toFixed(0)} ms in all)`;
  const within = async (name: string, le: string, series = ''): Promise<string> =>
    `${(100 * (await shareWithin(port, ca, name, le, series))).toFixed(2)} %`;
  const edge = 'nixfleet_cp_request_seconds';
  const ingest = 'nixfleet_cp_event_ingest_seconds';
  say(
    `leader edge (headers in to reply out): event requests within 25 / 50 / 100 ms: ${await within(edge, '0.025', EVENTS)} / ${await within(edge, '0.05', EVENTS)} / ${await within(edge, '0.1', EVENTS)}`,
  );
  say(
    `leader mutator (submit to durable): event ingest within 25 / 50 / 100 ms: ${await within(ingest, '0.025')} / ${await within(ingest, '0.05')} / ${await within(ingest, '0.1')}`,
  );
  const commits = await metric(port, ca, 'nixfleet_cp_commit_seconds_count');
  const commitMean = (1000 * (await metric(port, ca, 'nixfleet_cp_commit_seconds_sum'))) / commits;
  say(`leader group commit: ${commits} commits, mean ${commitMean.toFixed(2)} ms`);
  say(`event ingest (client, 204 after durable commit): ${fmt(eventMs)}`);
  const byWave: number[][] = [];
  for (const r of stopped)
    r.eventMsByWave.forEach((xs, w) => (byWave[w] ??= []).push(...(xs ?? [])));
  byWave.forEach((xs, w) => say(`event ingest (client), wave ${w}: ${fmt(xs)}`));
  say(`heartbeat (steady): ${fmt(steadyHeartbeatMs)}`);
  say(
    `CP CPU over the rollout phase: ${cps.procs.map((p, i) => `${p.name} ${(cpuUsed[i] ?? NaN).toFixed(1)} s`).join(', ')}${cps.postgresPid === null ? '' : `; PostgreSQL server ${pgCpuUsed.toFixed(1)} s`}`,
  );
  say(`leader event-loop stalls of 100 ms or more: ${stallLine('main')}, ${stallLine('edge')}`);
  say(
    `requests answered by replica (of which not-leader): ${cps.procs.map((p, i) => `${p.name} ${routes.answered[i]} (${routes.notLeader[i]})`).join(', ')}; failovers ${routes.failovers}; exhausted rounds ${routes.exhausted}`,
  );

  // Reconnect storm: every session was dropped at once; all reconnect
  // concurrently once every replica has seen its sessions go (no long-poll
  // left parked), as after a restart: while a CP still holds an agent's
  // old session and long-poll, its per-identity caps refuse the new ones.
  const drained = performance.now();
  const waiters = async (): Promise<number> => {
    let n = 0;
    for (const p of cps.procs) n += await metric(p.port, ca, 'nixfleet_cp_dispatch_waiters');
    return n;
  };
  while ((await waiters()) > 0 && performance.now() - drained < 60_000) await sleep(250);
  say(
    `old sessions gone on every replica ${((performance.now() - drained) / 1000).toFixed(1)} s after the drop`,
  );
  const limitsText = async (): Promise<string> => {
    const text = await scrape(port, ca);
    return [
      ...text.matchAll(/^nixfleet_cp_(?:streams_refused|connections_closed)_total\{[^}]*\} \S+$/gm),
    ]
      .map((m) => m[0].replace('nixfleet_cp_', ''))
      .join(', ');
  };
  const overflowsBefore = listenOverflows();
  const storm = ctx.storm ? await connectAll(N) : { ms: NaN, heartbeatMs: [] as number[] };
  sampleRss();
  say(`leader's edge limits so far: ${(await limitsText()) || 'none'}`);
  say(
    ctx.storm
      ? `reconnect storm: ${N} agents reconnected + heartbeat in ${(storm.ms / 1000).toFixed(1)} s (accept-queue overflows ${listenOverflows() - overflowsBefore}); heartbeats failed while connecting: ${failedHeartbeats} ${JSON.stringify(failures)}`
      : 'reconnect storm: skipped (--storm 0)',
  );
  const replicas: ReplicaFigures[] = [];
  for (const [i, p] of cps.procs.entries()) {
    const text = await scrape(p.port, ca);
    const requests = (status: string): number =>
      Number(
        new RegExp(
          `^nixfleet_cp_http_requests_total\\{${EVENTS},status="${status}"\\} (\\S+)$`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    if (p.role === 'follower') {
      say(
        `${p.name} forwarded to the leader, by outcome: ${JSON.stringify(forwardedByOutcome(text))}`,
      );
    }
    replicas.push({
      name: p.name,
      role: p.role,
      edgeEvents: bucketsOf(text, 'nixfleet_cp_request_seconds', EVENTS),
      events204: requests('204'),
      events503: requests('503'),
      forwarded: forwardedOf(text, true),
      forwardFailed: forwardedOf(text, false),
      rssPeakMiB: (peakRss[i] ?? 0) / 2 ** 20,
      cpuSecs: cpuUsed[i] ?? NaN,
    });
  }
  const converged = stopped.reduce((n, r) => n + r.converged, 0);
  const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  say(
    `machine CPU pressure during the rollout phase: some-stall ${pressure.toFixed(1)} s over ${wall.toFixed(0)} s (${((pressure / wall) * 100).toFixed(0)} %), load average ${loadAverage}`,
  );
  closing = true;
  gens.forEach((g) => g.send({ t: 'exit' }));
  process.off('exit', killGens);
  await cps.stop();
  return {
    label,
    hosts: N,
    baseline: percentiles(baselineMs),
    eventClient: percentiles(eventMs),
    heartbeat: percentiles(steadyHeartbeatMs),
    ticks: tickCount,
    tickMeanMs: (tickSum / tickCount) * 1000,
    converged,
    convergedAfterSecs: rolloutSecs,
    stormSecs: storm.ms / 1000,
    replicas,
    postgresCpuSecs: cps.postgresPid === null ? null : pgCpuUsed,
    answered: routes.answered,
    notLeader: routes.notLeader,
    failovers: routes.failovers,
    exhausted: routes.exhausted,
    psiPct: (pressure / wall) * 100,
    loadAverage,
  };
}
