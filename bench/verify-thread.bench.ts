// The artifact poller's fetch-and-verify of a new N-host release (default
// 10,000) as the main thread sees it: the largest event-loop delay of this
// process while one poll verifies and hands over the release, with the
// verifications inline (on this thread) against the verify thread, runs
// interleaved A/B in one process so both variants share the machine's
// contention. The adoption itself (mutator, first plan) is left out: this
// isolates what moved. Prints medians and every run, with the CPU pressure.
//
// Run: npx tsx bench/verify-thread.bench.ts [--hosts 10000] [--runs 5]
// Figures, dated: bench/results/planner-adoption-*.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTrust, writeRelease } from '../tests/cp/kit/release.ts';
import { systemClock } from '../ts/cp/clock.ts';
import { CpMetrics } from '../ts/cp/metrics.ts';
import { EMPTY_SNAPSHOT } from '../ts/cp/runtime/artifacts.ts';
import { ArtifactPoller } from '../ts/cp/workers/artifact-poller.ts';
import { dirSource } from '../ts/cp/workers/artifact-source.ts';
import { inlineVerifier, VerifyThread } from '../ts/cp/workers/verify-thread.ts';
import { silentLogger } from '../ts/log/log.ts';
import { parseTrustConfigBytes } from '../ts/trust/index.ts';
import { cpuPressureUs } from './cp-load/measure.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const N = Number(args.get('hosts') ?? 10_000);
const RUNS = Number(args.get('runs') ?? 5);
const PROBE_MS = 5;

const dir = mkdtempSync(join(tmpdir(), 'verify-bench-'));
const t = makeTrust(dir);
writeRelease(join(dir, 'release'), t, {
  hosts: Array.from({ length: N }, (_, i) => ({
    name: `host-${String(i).padStart(5, '0')}`,
    channel: 'stable',
    wave: i < N / 100 ? 0 : i < N / 10 ? 1 : 2,
  })),
  soakMinutes: [0, 0, 0],
  ciCommit: 'c'.repeat(40),
  signedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});
const parsed = parseTrustConfigBytes(new Uint8Array(readFileSync(t.trustFile)));
if (!parsed.ok) throw new Error(parsed.error.message);
const trust = parsed.value;
const thread = new VerifyThread(trust);

/** One poll of the release into an empty CP; the main thread's max loop delay (ms). */
async function pollOnce(variant: 'inline' | 'thread'): Promise<number> {
  let adopted = false;
  const poller = new ArtifactPoller({
    sources: [dirSource(join(dir, 'release'))],
    trust,
    clock: systemClock,
    freshnessMs: 86_400_000,
    log: silentLogger(),
    metrics: new CpMetrics(),
    current: () => EMPTY_SNAPSHOT,
    adopt: (s) => {
      adopted = s.fleet !== null && s.manifests.size === 1;
      return Promise.resolve();
    },
    verifier: variant === 'inline' ? inlineVerifier(trust) : thread,
  });
  // The longest gap between two turns of a 5 ms timer, less its interval:
  // how long the thread was blocked at once.
  let last = performance.now();
  let max = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - PROBE_MS);
    last = now;
  }, PROBE_MS);
  await poller.pollOnce();
  // One more turn so a block at the very end is measured too.
  await new Promise((r) => setTimeout(r, 4 * PROBE_MS));
  clearInterval(probe);
  if (!adopted) throw new Error(`${variant}: the poll adopted no release`);
  return max;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
await pollOnce('thread'); // warm-up: thread start, validators loaded
await pollOnce('inline');
const out: Record<'inline' | 'thread', number[]> = { inline: [], thread: [] };
const psi0 = cpuPressureUs();
const w0 = performance.now();
for (let i = 0; i < RUNS; i++) {
  for (const v of i % 2 === 0 ? (['inline', 'thread'] as const) : (['thread', 'inline'] as const))
    out[v].push(await pollOnce(v));
}
const psi = (cpuPressureUs() - psi0) / 1000 / (performance.now() - w0);
await thread.close();
rmSync(dir, { recursive: true, force: true });
for (const v of ['inline', 'thread'] as const) {
  console.log(
    `${v.padEnd(6)} max event-loop delay during one poll of a ${N}-host release: median ${median(out[v]).toFixed(0)} ms (runs: ${out[v].map((x) => x.toFixed(0)).join(', ')} ms)`,
  );
}
console.log(
  `machine CPU pressure during the runs: ${(psi * 100).toFixed(0)} % (PSI some), load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
