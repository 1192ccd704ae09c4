// Release adoption on a running control plane: how long the CP's main
// thread is blocked while it fetches, verifies and adopts a new signed
// release of N hosts (default 10,000) and plans it. The CP is the real
// binary, idle otherwise (no agents), so every delay its event loop reports
// in the windows after the release is published belongs to the adoption.
// Reports the CP's own figures: the largest event-loop delay of the main
// thread (`nixfleet_cp_event_loop_delay_window_seconds{stat="max"}`) and its
// stalls of 100 ms or more, before (idle) and during the adoption, beside
// the machine's CPU pressure (PSI).
//
// Run: npx tsx bench/adoption.bench.ts [--hosts 10000] [--cp-flags "<flags>"]
// Figures, dated: bench/results/planner-adoption-*.md.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../tests/cp/kit/client.ts';
import { makePki } from '../tests/cp/kit/pki.ts';
import { makeTrust, writeRelease, type HostSpec } from '../tests/cp/kit/release.ts';
import { cpServeArgs } from '../tests/cp/kit/cp-argv.ts';
import { cpuPressureUs, freePort, stalls } from './cp-load/measure.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const N = Number(args.get('hosts') ?? 10_000);
const CP_FLAGS = (args.get('cp-flags') ?? '').split(/\s+/).filter((x) => x !== '');
/** Node/V8 flags for the CP, e.g. `--cp-node-flags "--cpu-prof --cpu-prof-dir=/tmp/prof"`. */
const CP_NODE_FLAGS = (args.get('cp-node-flags') ?? '').split(/\s+/).filter((x) => x !== '');
/** The CP's loop-delay window (ts/cp/server/loop-delay.ts, LOOP_WINDOW_MS). */
const WINDOW_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function scrape(port: number, ca: string): Promise<string> {
  const c = await connect(port, { ca });
  try {
    return (await c.request('/metrics', { noProtocol: true })).body.toString();
  } finally {
    c.close();
  }
}

const gauge = (body: string, name: string): number =>
  Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(body)?.[1] ?? NaN);
const MAX = 'nixfleet_cp_event_loop_delay_window_seconds\\{stat="max",thread="main"\\}';

/** The largest main-thread window max (ms) seen over `ms`, scraping every 500 ms. */
async function maxDelayOver(port: number, ca: string, ms: number): Promise<number> {
  let max = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await sleep(500);
    max = Math.max(max, 1000 * gauge(await scrape(port, ca), MAX));
  }
  return max;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'adopt-bench-'));
  const pki = await makePki(dir);
  const trust = makeTrust(dir);
  const hosts: HostSpec[] = Array.from({ length: N }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    channel: 'stable',
    wave: i < N / 100 ? 0 : i < N / 10 ? 1 : 2,
  }));
  // Two complete releases written up front; publishing one is a symlink swap
  // (atomic), so the CP never reads a half-written release.
  const t0 = Date.now();
  const relA = join(dir, 'rel-a');
  const relB = join(dir, 'rel-b');
  mkdirSync(relA);
  mkdirSync(relB);
  const spec = { hosts, soakMinutes: [0, 0, 0] };
  writeRelease(relA, trust, { ...spec, ciCommit: 'a'.repeat(40), signedAt: rfc3339(t0 - 60_000) });
  writeRelease(relB, trust, { ...spec, ciCommit: 'b'.repeat(40), signedAt: rfc3339(t0) });
  const live = join(dir, 'release');
  symlinkSync(relA, live);
  const port = await freePort();
  const cp = spawn(
    process.execPath,
    [
      ...CP_NODE_FLAGS,
      ...cpServeArgs({
        port,
        pki,
        trustFile: trust.trustFile,
        db: join(dir, 'state.db'),
        releaseDir: live,
      }),
      '--poll-interval-secs',
      '1',
      '--log-level',
      'info',
      ...CP_FLAGS,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  /** Main-thread stalls the CP logged: when each ended (CP clock) and how long it was. */
  const blocked: { readonly at: number; readonly ms: number }[] = [];
  let adoptedAt: number | null = null;
  let out = '';
  cp.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { msg?: string; time?: number; thread?: string; ms?: number };
      if (e.msg === 'fleet.resolved adopted' && line.includes('b'.repeat(40))) {
        adoptedAt = e.time ?? null;
      }
      if (e.msg === 'event loop blocked' && e.thread === 'main') {
        blocked.push({ at: e.time ?? 0, ms: e.ms ?? 0 });
      }
    }
  });
  process.on('exit', () => cp.kill('SIGKILL'));
  for (let i = 0; ; i++) {
    try {
      (await connect(port, { ca: pki.caPem })).close();
      break;
    } catch {
      if (i > 300) throw new Error('CP did not start');
      await sleep(200);
    }
  }
  // Idle: two full windows after start-up (which adopted release A).
  await sleep(WINDOW_MS + 1_000);
  const idleFrom = Date.now();
  const idle = await maxDelayOver(port, pki.caPem, WINDOW_MS + 1_000);
  const s0 = await stalls(port, pki.caPem);
  const psi0 = cpuPressureUs();
  const w0 = performance.now();
  const swappedAt = Date.now();
  renameSync(join(dir, 'release'), join(dir, 'release-old'));
  symlinkSync(relB, live);
  // The next poll (≤ 1 s) adopts B; the windows ending in the next 2 × 10 s cover it.
  const during = await maxDelayOver(port, pki.caPem, 2 * WINDOW_MS + 1_500);
  const s1 = await stalls(port, pki.caPem);
  const psi = (cpuPressureUs() - psi0) / 1000 / (performance.now() - w0);
  const body = await scrape(port, pki.caPem);
  const alert = /nixfleet_cp_artifact_alert\{[^}]*\} 1$/m.test(body);
  const outcome =
    adoptedAt !== null && !alert
      ? 'adopted'
      : `left on the old release${alert ? ', alert raised' : ''}`;
  // A stall is logged when it ends: those ending between the swap and 2 s
  // after the adoption log line (verification comes before that line, the
  // first plan of the new release after it) belong to the adoption.
  const until = (adoptedAt ?? swappedAt) + 2_000;
  const list = (xs: typeof blocked): string =>
    `${xs.length}${xs.length > 0 ? ` (${xs.map((x) => x.ms).join(', ')} ms)` : ''}`;
  const atAdoption = blocked.filter((b) => b.at >= swappedAt && b.at <= until);
  const elsewhere = blocked.filter((b) => b.at > until);
  const idleStalls = blocked.filter((b) => b.at >= idleFrom && b.at < swappedAt);
  cp.kill('SIGTERM');
  await new Promise((r) => cp.once('exit', r));
  console.log(
    `adoption of a ${N}-host release (${outcome}): main-thread max event-loop delay ${during.toFixed(0)} ms (idle before: ${idle.toFixed(0)} ms); main-thread stalls >= 100 ms at adoption: ${list(atAdoption)}, later in the window: ${list(elsewhere)} (${s1.main.n - s0.main.n} counted), idle before: ${list(idleStalls)}; PSI ${(psi * 100).toFixed(0)} %, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
}

await main();
