// Load benchmark of the control plane over real mTLS: N simulated agents,
// each with its own ed25519 client certificate and HTTP/2 session, heartbeat
// every 60 s and hold dispatch long-polls while a 3-wave rollout (1 % / 9 % /
// 90 %) runs; each dispatched agent walks the RFC-0005 event sequence. The
// CP runs as a separate process (the real binary), so its RSS and CPU are
// measured alone. `--backend postgres` runs R replicas (`--replicas`,
// default 2) on a PostgreSQL cluster the benchmark starts in a temporary
// directory and stops; every agent is given every replica's URL, rotated by
// its index (with two, half have a follower first), and moves between them
// as ts/core/cp-endpoints decides. `--backend both` runs SQLite, then
// PostgreSQL, with the same fleet, certificates and seed, and prints the
// two side by side (bench/cp-load/figures.ts). Reports p50/p99/p99.9 of
// event ingest and heartbeat (client round trip; a 204 means durably
// committed), the share of events within 25/50/100 ms at each CP's edge,
// reconcile tick time (from the CP's own histogram), the reconnect storm
// (every agent reconnects at once), each CP's RSS and CPU, the PostgreSQL
// server's CPU, and which replica answered the agents' requests.
//
// Run: npx tsx bench/cp-load.bench.ts --hosts 1000 [--steady-secs 90]
//      [--backend sqlite|postgres|both] [--replicas 2] [--seed 1]
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type TestPki } from '../tests/cp/kit/pki.ts';
import { makeTrust, type HostSpec } from '../tests/cp/kit/release.ts';
import type { Backend } from './cp-load/cp-set.ts';
import { comparisonTable, type PassFigures } from './cp-load/figures.ts';
import { runPass } from './cp-load/pass.ts';
import type { AgentSpec } from './cp-load/protocol.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const words = (k: string): string[] => (args.get(k) ?? '').split(/\s+/).filter((x) => x !== '');
const N = Number(args.get('hosts') ?? 1000);
const BACKEND = args.get('backend') ?? 'sqlite';
if (!['sqlite', 'postgres', 'both'].includes(BACKEND)) {
  throw new Error('--backend must be sqlite, postgres or both');
}
const BACKENDS: Backend[] = BACKEND === 'both' ? ['sqlite', 'postgres'] : [BACKEND as Backend];
const REPLICAS = Number(args.get('replicas') ?? 2);
if (!Number.isInteger(REPLICAS) || REPLICAS < 1) throw new Error('--replicas must be ≥ 1');
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cp-bench-'));
  const pki: TestPki = await makePki(dir);
  const trust = makeTrust(dir);
  const w0 = Math.max(1, Math.round(N * 0.01));
  const w1 = Math.max(1, Math.round(N * 0.09));
  const hosts: HostSpec[] = Array.from({ length: N }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    channel: 'stable',
    wave: i < w0 ? 0 : i < w0 + w1 ? 1 : 2,
  }));
  // Certificates: one per agent, issued by the fleet CA, shared by every pass.
  const t0 = performance.now();
  const specs: AgentSpec[] = [];
  for (const [index, h] of hosts.entries()) {
    const c = await pki.client(h.name);
    specs.push({ index, hostname: h.name, cert: c.cert, key: c.key });
  }
  console.log(
    `# cp-load: ${N} hosts, waves ${w0}/${w1}/${N - w0 - w1}, activation jitter ${args.get('activation-jitter-ms') ?? 5000} ms, backends ${BACKENDS.join(', ')}; certificates in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const profile = args.get('profile');
  const passes: PassFigures[] = [];
  for (const backend of BACKENDS) {
    const own = join(dir, backend);
    passes.push(
      await runPass(
        {
          hosts,
          specs,
          pki,
          trust,
          steadySecs: Number(args.get('steady-secs') ?? 90),
          storm: args.get('storm') !== '0',
          heartbeatSecs: 60,
          /** Spread of activation time per host (a real switch takes seconds to minutes). */
          jitterMs: Number(args.get('activation-jitter-ms') ?? 5000),
          seed: Number(args.get('seed') ?? 1),
          generators: GENERATORS,
          generatorNice: GENERATOR_NICE,
          genNodeFlags: words('gen-node-flags'),
          cpNodeFlags: [
            ...words('cp-node-flags'),
            ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
          ],
          cpFlags: words('cp-flags'),
          cpStdout: args.get('cp-stdout') ?? null,
          replicas: REPLICAS,
        },
        backend,
        own,
      ),
    );
  }
  console.log(`\n${comparisonTable(passes)}`);
  rmSync(dir, { recursive: true, force: true });
}

await main();
