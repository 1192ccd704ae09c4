// Reconnect storm of the control plane: N simulated agents (each its own
// certificate, TLS context and HTTP/2 session, bench/cp-load/generator.ts)
// connect and heartbeat; then every session drops and the CP restarts on
// the same files (its database, its TLS ticket keys), and every agent
// reconnects and heartbeats. Reports the time from the restarted CP
// listening to the last agent's heartbeat answered, the kernel's accept-
// queue overflows (TcpExt ListenOverflows) over the storm, resumed and full
// TLS handshakes, the CP's CPU, and the machine's CPU pressure (PSI).
//
// Variants (A/B in one session, three runs each):
//   --variant before  the former defaults: listen backlog 4096, every agent
//                     reconnects at once, full handshakes (no ticket offered)
//   --variant after   the current defaults: listen backlog 16384, each agent
//                     reconnects at its core-decided point within
//                     --spread-secs (default 10), offering its last ticket
//   --variant spread  `after` without tickets (full handshakes)
//   --variant resume  `after` without the spread (all at once)
//
// Run: npx tsx bench/reconnect-storm.bench.ts --hosts 10000 --variant after
//      [--spread-secs 10] [--generators K] [--generator-nice 10] [--seed 1]
//      [--cp-node-flags "<node flags>"] [--profile <dir>] [--perf <file>]
//      [--cp-stdout <file>]
// --profile writes a CPU profile of the restarted CP (the storm and its
// shutdown), one file per thread; the first CP runs unprofiled. --perf
// records the restarted CP with `perf record -g` over the storm only (native
// code, OpenSSL and the kernel included; add --perf-basic-prof to
// --cp-node-flags for JavaScript names).
// The kernel caps the backlog at net.core.somaxconn (the NixOS module raises
// it); for the figures in bench/results/reconnect-storm-*.md the benchmark
// ran in a network namespace of its own with somaxconn 16384, which also
// keeps other processes' connections out of ListenOverflows:
//   unshare -n sh -c 'ip link set lo up; sysctl -qw net.core.somaxconn=16384 net.ipv4.tcp_max_syn_backlog=16384; npx tsx bench/reconnect-storm.bench.ts …'
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rfc3339 } from '../tests/cp/kit/agent-sim.ts';
import { connect } from '../tests/cp/kit/client.ts';
import { makePki } from '../tests/cp/kit/pki.ts';
import { makeTrust, writeRelease, type HostSpec } from '../tests/cp/kit/release.ts';
import { cpServeArgs } from '../tests/cp/kit/cp-argv.ts';
import { startGenerator } from './cp-load/generator-process.ts';
import {
  cpuPressureUs,
  fmt,
  freePort,
  listenOverflows,
  pct,
  procStats,
} from './cp-load/measure.ts';
import type { AgentSpec } from './cp-load/protocol.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const N = Number(args.get('hosts') ?? 1000);
const VARIANT = args.get('variant') ?? 'after';
if (!['before', 'after', 'spread', 'resume'].includes(VARIANT)) {
  throw new Error('--variant before|after|spread|resume');
}
const SPREAD_MS =
  VARIANT === 'after' || VARIANT === 'spread' ? Number(args.get('spread-secs') ?? 10) * 1000 : 0;
const RESUME = VARIANT === 'after' || VARIANT === 'resume';
const BACKLOG = VARIANT === 'before' ? '4096' : '16384';
const GENERATORS = Number(args.get('generators') ?? Math.min(8, Math.max(1, Math.ceil(N / 2500))));
const GENERATOR_NICE = Number(args.get('generator-nice') ?? 10);
const SEED = Number(args.get('seed') ?? 1);
/** Node/V8 flags for the CP process, e.g. `--cp-node-flags "--max-semi-space-size=32"`. */
const CP_NODE_FLAGS = (args.get('cp-node-flags') ?? '').split(/\s+/).filter((x) => x !== '');
const PROFILE = args.get('profile');
let closing = false;

const somaxconn = (): string => readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'storm-bench-'));
  const release = join(dir, 'release');
  mkdirSync(release);
  const pki = await makePki(dir);
  const trust = makeTrust(dir);
  const port = await freePort();
  const hosts: HostSpec[] = Array.from({ length: N }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    channel: 'stable',
    wave: 0,
  }));
  writeRelease(release, trust, {
    hosts,
    soakMinutes: [0],
    ciCommit: 'abcdef0123456789abcdef0123456789abcdef01',
    signedAt: rfc3339(),
  });
  const startCp = async (profile: boolean): Promise<ChildProcess> => {
    const cp = spawn(
      process.execPath,
      [
        ...CP_NODE_FLAGS,
        ...(profile && PROFILE !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []),
        ...cpServeArgs({
          port,
          pki,
          trustFile: trust.trustFile,
          db: join(dir, 'state', 'state.db'),
          releaseDir: release,
        }),
        '--heartbeat-interval-secs',
        '60',
        // No rollout: the storm alone is measured.
        '--planning-warmup-secs',
        '86400',
        '--listen-backlog',
        BACKLOG,
        '--log-level',
        'warn',
      ],
      {
        stdio: [
          'ignore',
          args.has('cp-stdout') ? openSync(String(args.get('cp-stdout')), 'a') : 'ignore',
          'inherit',
        ],
      },
    );
    for (let i = 0; ; i++) {
      try {
        (await connect(port, { ca: pki.caPem })).close();
        return cp;
      } catch {
        if (i > 300 || cp.exitCode !== null) throw new Error('CP did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  let cp = await startCp(false);
  process.on('exit', () => cp.kill('SIGKILL'));
  console.log(
    `# reconnect storm: ${N} hosts, variant ${VARIANT} (backlog ${BACKLOG}, somaxconn ${somaxconn()}, spread ${SPREAD_MS / 1000} s, ${RESUME ? 'TLS resumption' : 'full handshakes'}), ${GENERATORS} generators at nice ${GENERATOR_NICE}`,
  );
  const specs: AgentSpec[] = [];
  for (const [index, h] of hosts.entries()) {
    const c = await pki.client(h.name);
    specs.push({ index, hostname: h.name, cert: c.cert, key: c.key });
  }
  const gens = Array.from({ length: GENERATORS }, () =>
    startGenerator([], () => closing, GENERATOR_NICE),
  );
  process.on('exit', () => gens.forEach((g) => g.proc.kill('SIGKILL')));
  await Promise.all(
    gens.map((g, k) =>
      g.ask(
        {
          t: 'init',
          ports: [port],
          caPem: pki.caPem,
          fleetSize: N,
          heartbeatSecs: 60,
          jitterMs: 0,
          seed: 1,
          agents: specs.filter((s) => s.index % GENERATORS === k),
        },
        'ready',
      ),
    ),
  );
  let t = performance.now();
  await Promise.all(gens.map((g) => g.ask({ t: 'connect', concurrency: 200 }, 'connected')));
  console.log(
    `connect + first heartbeat: ${N} agents in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  // Every session drops and the CP restarts on the same files.
  await Promise.all(gens.map((g) => g.ask({ t: 'drop' }, 'dropped')));
  cp.kill('SIGTERM');
  await new Promise((r) => cp.once('exit', r));
  t = performance.now();
  cp = await startCp(true);
  console.log(`CP restarted in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const pid = cp.pid as number;

  const perf =
    args.get('perf') === undefined
      ? null
      : spawn(
          'perf',
          ['record', '-F', '499', '-g', '-p', String(pid), '-o', String(args.get('perf'))],
          {
            stdio: 'ignore',
          },
        );
  const stat0 = procStats(pid);
  const cpu0 = stat0.cpuSecs;
  const psi0 = cpuPressureUs();
  const over0 = listenOverflows();
  t = performance.now();
  const storm = {
    spreadMs: SPREAD_MS,
    resume: RESUME,
    seed: SEED,
  };
  const replies = await Promise.all(
    gens.map((g) =>
      g.ask({ t: 'connect', concurrency: Math.ceil(N / GENERATORS), storm }, 'connected'),
    ),
  );
  const wall = (performance.now() - t) / 1000;
  const overflows = listenOverflows() - over0;
  const stat1 = procStats(pid);
  const cpu = stat1.cpuSecs - cpu0;
  if (perf !== null) {
    perf.kill('SIGINT');
    await new Promise((r) => perf.once('exit', r));
  }
  const psi = (cpuPressureUs() - psi0) / 1e6;
  const resumed = replies.reduce((n, r) => n + r.resumed, 0);
  const full = replies.reduce((n, r) => n + r.full, 0);
  const failed = replies.reduce((n, r) => n + r.failed, 0);
  const done = replies.flatMap((r) => r.doneMs);
  const hb = replies.flatMap((r) => r.heartbeatMs);
  console.log(
    `reconnect storm: ${N} agents reconnected + heartbeat in ${wall.toFixed(1)} s (last answered at ${(Math.max(...done) / 1000).toFixed(1)} s, half by ${(pct(done, 50) / 1000).toFixed(1)} s); accept-queue overflows ${overflows}; TLS handshakes resumed ${resumed}, full ${full}; heartbeats failed ${failed}; CP CPU ${cpu.toFixed(1)} s (${((cpu / N) * 1000).toFixed(2)} ms per agent)`,
  );
  console.log(
    `CP CPU during the storm: user ${(stat1.userSecs - stat0.userSecs).toFixed(1)} s, system ${(stat1.sysSecs - stat0.sysSecs).toFixed(1)} s`,
  );
  console.log(`heartbeat during the storm: ${fmt(hb)}`);
  console.log(
    `load generators' CPU during the storm: ${replies.reduce((n, r) => n + r.cpuSecs, 0).toFixed(1)} s`,
  );
  console.log(
    `machine CPU pressure during the storm: some-stall ${psi.toFixed(1)} s over ${wall.toFixed(1)} s (${((psi / wall) * 100).toFixed(0)} %), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  closing = true;
  gens.forEach((g) => g.send({ t: 'exit' }));
  cp.kill('SIGTERM');
  await new Promise((r) => cp.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

await main();
