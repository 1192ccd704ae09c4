// Start-up and memory of the built programs (dist/, `npm run build`) against
// Node's own start measured in the same run:
//   - cold start of `nixfleet --help` and `nixfleet status --json` (against
//     a local control plane this benchmark starts), each against `node -e 0`;
//     budget 1.5× (docs/development.md, "Production build"); `nixfleet
//     status --help` (status's modules loaded, no connection) splits the
//     difference between module loading and the request; and the floor
//     under `status`: bench/startup-floor.mjs, one bare mTLS GET to the same
//     CP by Node with no project code (HTTP/2, and HTTP/1.1 to size the
//     transport), with the CPU time of each of its steps measured inside the
//     process (docs/design/cli-startup.md);
//   - RSS of the control plane idle with no hosts (budget 100 MB);
//   - RSS of an idle enrolled agent: heartbeating, long-polling, its probe
//     configured, converged on a real closure from a real signed cache
//     (budget 60 MB), with and without Node heap flags (--agent-node-flags).
// Each start is timed `--runs` times (default 3; median, min..max, and the
// CPU time it used, which contention inflates far less than wall time) with the
// machine's CPU pressure (PSI `some`, seconds stalled per wall second) over
// the runs: other engineers share the two cores, and a run under contention
// is not comparable with a quiet one. RSS is read from /proc at the end of
// the settle period (and its peak over the period, sampled every second).
//
// Run: npx tsx bench/startup.bench.ts [--runs 3] [--duration 2m | --long]
//        [--skip-cold] [--skip-agent] [--cp-node-flags 'A|B'] [--agent-node-flags 'A|B']
//   --duration: how long the CP and each agent variant idle before their RSS
//   is read (the budget is set for 10 minutes: --long is --duration 10m).
//   Cold starts run in the inherited environment and, when it sets
//   NODE_EXTRA_CA_CERTS, once more without it: Node reads that file and
//   builds its root certificate store at start, which inflates `node -e 0`
//   itself (and hides the store a TLS client otherwise builds on first use).
//   --*-node-flags: Node flag sets compared one after the other, `|`
//   between sets (default: none for the CP; none, then the flags the built
//   agent's `#!` line passes, for the agent).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from '../ts/cli/duration.ts';
import { makePki } from '../tests/cp/kit/pki.ts';
import { makeTrust } from '../tests/cp/kit/release.ts';
import { execProbe, healthChecks, startWorld, until } from '../tests/agent/support/world.ts';
import { cpuPressureUs, freePort, procStats } from './cp-load/measure.ts';

const root = resolve(import.meta.dirname, '..');
const DIST = join(root, 'dist');
/** The Node flags compared for the agent (B side of the A/B). */

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const a = String(process.argv[i]);
  if (a === '--skip-agent' || a === '--skip-cold') args.set(a.slice(2), 'yes');
  else if (a === '--long') args.set('duration', '10m');
  else args.set(a.replace(/^--/, ''), String(process.argv[++i]));
}
const RUNS = Number(args.get('runs') ?? 3);
/** `--cp-node-flags 'A|B'`: flag sets (space-separated) compared one after the other. */
const variants = (spec: string): string[][] =>
  spec.split('|').map((v) => v.split(' ').filter((f) => f !== ''));
const CP_VARIANTS = variants(args.get('cp-node-flags') ?? '');
/** The flags dist/nixfleet-agent.js declares in its `#!/usr/bin/env -S node …` line. */
const shippedAgentFlags = (): string =>
  (
    /^#!\S*env -S node(.*)$/m.exec(readFileSync(join(DIST, 'nixfleet-agent.js'), 'utf8'))?.[1] ?? ''
  ).trim();
const SETTLE_MS = parseDuration(args.get('duration') ?? '2m', '--duration');

const MB = 1024 * 1024;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One timed start: wall milliseconds, CPU milliseconds (user + system of the
 * process and its children, from bash's `times`: far less sensitive than
 * wall time to other work on the machine) and peak RSS (bytes, /usr/bin/time).
 */
function timedStart(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  scratch: string,
): { ms: number; cpuMs: number; rss: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    'bash',
    ['-c', '/usr/bin/time -f %M -o "$0" "$@" >/dev/null 2>&1; times', scratch, ...argv],
    { env, encoding: 'utf8' },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const timeOut = readFileSync(scratch, 'utf8');
  // 1 is a verdict (status: a host needs attention), anything else a failed run.
  const status = Number(/exited with non-zero status (\d+)/.exec(timeOut)?.[1] ?? 0);
  if (status > 1) throw new Error(`${argv.join(' ')} exited ${status}`);
  const secs = [...(r.stdout.split('\n')[1] ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  const kb = Number(/(\d+)\s*$/.exec(timeOut)?.[1] ?? NaN);
  return { ms, cpuMs: secs.reduce((a, b) => a + b, 0) * 1000, rss: kb * 1024 };
}

/** A spawned program whose output is kept for the error message. */
function run(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return Object.assign(child, { out: () => out });
}

/** RSS at the end of `ms` of idling, and its peak, sampled every second. */
async function idleRss(pid: number, ms: number): Promise<{ end: number; peak: number }> {
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    peak = Math.max(peak, procStats(pid).rss);
    await sleep(1_000);
  }
  const last = procStats(pid).rss;
  return { end: last, peak: Math.max(peak, last) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

// ---------------------------------------------------------------------------
console.log('building dist/ (npm run build)…');
const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) throw new Error('npm run build failed');

const work = mkdtempSync(join(tmpdir(), 'nixfleet-startup-bench-'));
const home = join(work, 'home');
mkdirSync(home);
// No operator config of whoever runs the benchmark: flags only.
const cliEnv: NodeJS.ProcessEnv = { HOME: home };
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NIXFLEET_')) cliEnv[k] ??= v;
const children: ChildProcess[] = [];
const AGENT_VARIANTS = variants(args.get('agent-node-flags') ?? `|${shippedAgentFlags()}`);
try {
  const pki = await makePki(work);
  const trust = makeTrust(work);
  const op = await pki.client('operator:bench');
  writeFileSync(join(work, 'op.crt'), op.cert);
  writeFileSync(join(work, 'op.key'), op.key, { mode: 0o600 });
  mkdirSync(join(work, 'release'));
  const startCp = async (
    flags: readonly string[],
    db: string,
  ): Promise<{ child: ChildProcess; port: number }> => {
    const port = await freePort();
    const child = run(
      [
        ...flags,
        join(DIST, 'nixfleet-control-plane.js'),
        'serve',
        `--listen=127.0.0.1:${port}`,
        `--tls-cert=${pki.serverCertFile}`,
        `--tls-key=${pki.serverKeyFile}`,
        `--fleet-ca-cert=${pki.caCertFile}`,
        `--trust-file=${trust.trustFile}`,
        `--db=${join(work, db)}`,
        `--release-dir=${join(work, 'release')}`,
        '--log-level=warn',
      ],
      { ...process.env, NODE_NO_WARNINGS: '1' },
    );
    children.push(child);
    return { child, port };
  };
  const { child: cp, port } = await startCp(CP_VARIANTS[0] ?? [], 'state.db');
  const cpUrl = `https://127.0.0.1:${port}`;
  const cli = (...a: string[]): string[] => [process.execPath, join(DIST, 'nixfleet.js'), ...a];
  const status = cli(
    'status',
    '--json',
    `--cp-url=${cpUrl}`,
    `--ca-cert=${pki.caCertFile}`,
    `--client-cert=${join(work, 'op.crt')}`,
    `--client-key=${join(work, 'op.key')}`,
  );
  const floor = [
    process.execPath,
    join(root, 'bench/startup-floor.mjs'),
    cpUrl,
    pki.caCertFile,
    join(work, 'op.crt'),
    join(work, 'op.key'),
  ];
  /** The floor's steps, CPU ms each, measured inside the process (startup-floor.mjs --phases). */
  const floorPhases = (env: NodeJS.ProcessEnv, extra: readonly string[]): [string, number][] => {
    const r = spawnSync(floor[0]!, [...floor.slice(1), ...extra, '--phases'], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`startup-floor.mjs ${extra.join(' ')} failed: ${r.stderr}`);
    return JSON.parse(r.stderr.trim().split('\n').at(-1)!) as [string, number][];
  };
  await until(() => spawnSync(status[0]!, status.slice(1), { env: cliEnv }).status !== 3, 30_000);
  const cpStartedAt = Date.now();

  // --- cold starts -----------------------------------------------------------
  const coldStarts = (env: NodeJS.ProcessEnv, label: string): void => {
    const cases: readonly (readonly [string, readonly string[]])[] = [
      ['node -e 0', [process.execPath, '-e', '0']],
      ['nixfleet --help', cli('--help')],
      ['nixfleet status --json', status],
      // Loads what `status` loads (its command, the client, node:http2) and connects nowhere.
      ['nixfleet status --help', cli('status', '--help')],
      // No project code: Node's own cost of one mTLS HTTP/2 GET to the same CP.
      ['floor: bare mTLS GET', floor],
      ['floor: same, HTTP/1.1', [...floor, '--http1']],
      ['nixfleet --version', cli('--version')],
    ];
    const ms = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    const cpu = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    const rss = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    const p0 = cpuPressureUs();
    const t0 = Date.now();
    for (let i = 0; i < RUNS; i++) {
      for (const [name, argv] of cases) {
        const r = timedStart(argv, env, join(work, 'time.out'));
        ms.get(name)!.push(r.ms);
        cpu.get(name)!.push(r.cpuMs);
        rss.get(name)!.push(r.rss);
      }
    }
    const psi = (cpuPressureUs() - p0) / 1e3 / (Date.now() - t0);
    const base = median(ms.get('node -e 0')!);
    const cpuBase = median(cpu.get('node -e 0')!);
    console.log(`\ncold start, ${label}, ${RUNS} runs each, interleaved (psi ${psi.toFixed(2)})`);
    console.log(
      'command                  wall ms median (min..max)  ratio  budget   CPU ms  ratio  peak RSS MB',
    );
    for (const [name] of cases) {
      const xs = ms.get(name)!;
      const m = median(xs);
      const c = median(cpu.get(name)!);
      const budget =
        name === 'nixfleet --help' || name === 'nixfleet status --json' ? '≤ 1.50' : '';
      console.log(
        `${name.padEnd(24)} ${m.toFixed(0).padStart(6)} (${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)})`.padEnd(
          51,
        ) +
          `${(m / base).toFixed(2).padStart(5)}  ${budget.padStart(6)}  ${c.toFixed(0).padStart(7)}  ${(c / cpuBase).toFixed(2).padStart(5)}  ${(median(rss.get(name)!) / MB).toFixed(0).padStart(11)}`,
      );
    }
    // The measure of a budget that counts the connection (docs/design/cli-startup.md).
    const over = (a: string, b: string): string =>
      `${(median(cpu.get(a)!) - median(cpu.get(b)!)).toFixed(0)} ms CPU, ${(median(cpu.get(a)!) / median(cpu.get(b)!)).toFixed(2)}×`;
    console.log(
      `status --json above the floor: ${over('nixfleet status --json', 'floor: bare mTLS GET')}; above status --help: ${over('nixfleet status --json', 'nixfleet status --help')}`,
    );
    // The floor's steps: what a one-shot mTLS request costs Node above its own start.
    const runs = Math.max(RUNS, 5);
    const h2 = Array.from({ length: runs }, () => floorPhases(env, []));
    const h1 = Array.from({ length: runs }, () => floorPhases(env, ['--http1']));
    const step = (xs: [string, number][][], i: number): string =>
      median(xs.map((p) => p[i]![1])).toFixed(1);
    console.log(`floor, CPU ms per step inside the process, median of ${runs}`);
    console.log('step                              HTTP/2  HTTP/1.1');
    for (const [i, [name]] of h2[0]!.entries()) {
      const label = name.startsWith('load node:http') ? 'load the HTTP module' : name;
      console.log(`${label.padEnd(32)} ${step(h2, i).padStart(7)}  ${step(h1, i).padStart(8)}`);
    }
    const total = (xs: [string, number][][]): string =>
      median(xs.map((p) => p.reduce((a, [, ms]) => a + ms, 0))).toFixed(1);
    console.log(
      `${'total above the entry module'.padEnd(32)} ${total(h2).padStart(7)}  ${total(h1).padStart(8)}`,
    );
  };
  if (!args.has('skip-cold')) {
    const extraCa = cliEnv['NODE_EXTRA_CA_CERTS'];
    coldStarts(
      cliEnv,
      extraCa === undefined ? 'NODE_EXTRA_CA_CERTS unset' : `NODE_EXTRA_CA_CERTS=${extraCa}`,
    );
    if (extraCa !== undefined) {
      const { NODE_EXTRA_CA_CERTS: _, ...without } = cliEnv;
      coldStarts(without, 'NODE_EXTRA_CA_CERTS unset');
    }
  }

  // --- the control plane, idle with no hosts --------------------------------
  console.log('\ncontrol plane idle, no hosts');
  console.log('node flags                                   RSS MB at end  peak  budget');
  for (const [i, flags] of CP_VARIANTS.entries()) {
    // The first variant is the CP the CLI ran against; it has idled since.
    const child = i === 0 ? cp : (await startCp(flags, `state-${i}.db`)).child;
    const since = i === 0 ? cpStartedAt : Date.now();
    const r = await idleRss(child.pid!, Math.max(SETTLE_MS - (Date.now() - since), 0));
    console.log(
      `${(flags.join(' ') || '(none)').padEnd(44)} ${(r.end / MB).toFixed(1).padStart(13)}  ${(r.peak / MB).toFixed(1).padStart(4)}  ≤ 100`,
    );
    await stop(child);
  }

  // --- an idle enrolled agent ----------------------------------------------
  if (!args.has('skip-agent')) {
    const w = await startWorld({});
    try {
      const gen2 = await w.build({
        generation: '2',
        files: {
          'etc/nixfleet/agent/health-checks.json': healthChecks(
            w.host.name,
            execProbe('/bin/true'),
          ),
        },
      });
      await w.push(gen2);
      const rid = await w.publish(2, gen2);
      console.log(
        `\nagent idle: enrolled, converged on a probed closure, heartbeating and long-polling`,
      );
      console.log(`${'run'.padEnd(62)} RSS MB at end  peak  budget  CPU s to converge, idle  psi`);
      // The first run enrolls and converges in its own process (what it loads and
      // compiles for that work stays resident); each variant then restarts enrolled and converged, as an
      // agent runs after its first start, so the variants differ only by their flags.
      const shipped = variants(shippedAgentFlags())[0] ?? [];
      for (const [label, flags] of [
        [`enrolls in-process, ${shipped.join(' ') || '(no flags)'}`, shipped] as const,
        ...AGENT_VARIANTS.map((f) => [`restarted, ${f.join(' ') || '(no flags)'}`, f] as const),
      ]) {
        const agent = run([
          ...flags,
          // Without flags means without: the built file's `#!` line is not used here.
          join(DIST, 'nixfleet-agent.js'),
          `--control-plane-url=https://127.0.0.1:${w.port}`,
          `--machine-id=${w.host.name}`,
          `--trust-file=${w.trustFile}`,
          `--ca-cert=${w.t.pki.caCertFile}`,
          `--ssh-host-key-file=${w.host.keyFile}`,
          `--bootstrap-token-file=${w.tokenFile}`,
          `--state-dir=${w.stateDir}`,
          '--activation-backend=sandbox',
          `--cache-url=${w.cache.url}`,
          '--log-level=warn',
        ]);
        children.push(agent);
        await until(() => w.record(rid)?.state === 'Converged', 120_000).catch(() => {
          throw new Error(`the agent did not converge:\n${agent.out()}`);
        });
        const converged = procStats(agent.pid!).cpuSecs;
        const p0 = cpuPressureUs();
        const t0 = Date.now();
        const r = await idleRss(agent.pid!, SETTLE_MS);
        const idleCpu = procStats(agent.pid!).cpuSecs - converged;
        const psi = (cpuPressureUs() - p0) / 1e3 / (Date.now() - t0);
        console.log(
          `${label.padEnd(62)} ${(r.end / MB).toFixed(1).padStart(13)}  ${(r.peak / MB).toFixed(1).padStart(4)}  ≤ 60` +
            `  ${converged.toFixed(2).padStart(17)}  ${idleCpu.toFixed(2).padStart(5)}  ${psi.toFixed(2)}`,
        );
        await stop(agent);
      }
    } finally {
      await w.close();
    }
  }
  console.log(
    `\nsettle: ${SETTLE_MS / 1000} s per idle measurement (the budget's figure is after 10 min: --duration 10m)`,
  );
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
