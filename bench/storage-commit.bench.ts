// Commit throughput of the storage backends, A/B in one run: SQLite (WAL,
// synchronous=FULL, commit thread) against PostgreSQL (a throwaway cluster
// on this machine, fsync and synchronous_commit on, started by the bench
// like the tests do). Each batch is what the mutator commits for ingested
// agent events: per event an event_log row and the host record upsert that
// references it. Batches are committed one after another, as the mutator
// does. Prints events/s and ms per batch (median of runs), the spread, and
// the machine's CPU pressure (PSI) over the run; asserts nothing.
//
//   npx tsx bench/storage-commit.bench.ts [--runs 3] [--sizes 1,16,256] [--events 4096]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HostRolloutState } from '../ts/core/index.ts';
import { openPostgresStorage } from '../ts/cp/storage/postgres.ts';
import { openSqliteStorage } from '../ts/cp/storage/sqlite.ts';
import type { Storage, WriteOp } from '../ts/cp/storage/types.ts';
import { startPgCluster } from '../tests/support/postgres.ts';
import { cpuPressureUs } from './cp-load/measure.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sizes: { type: 'string', default: '1,16,256' },
    events: { type: 'string', default: '4096' },
  },
});
const RUNS = Number(values.runs);
const SIZES = (values.sizes as string).split(',').map(Number);
const EVENTS = Number(values.events);

let agentSeq = 0;
function batch(size: number): WriteOp[] {
  const ops: WriteOp[] = [];
  for (let i = 1; i <= size; i++) {
    const seq = ++agentSeq;
    const hostname = `h-${String(seq % 1000).padStart(4, '0')}`;
    ops.push({
      op: 'appendEvent',
      id: i,
      row: {
        recordedAt: Date.now(),
        stream: 'host',
        rolloutId: 'stable@0123456789abcdef',
        hostname,
        agentSeq: seq,
        kind: 'ActivationStarted',
        body: {
          kind: 'ActivationStarted',
          seq,
          started_at: new Date().toISOString(),
          switch_method: 'switch',
        },
      },
    });
    ops.push({
      op: 'upsertHostRecord',
      record: {
        rolloutId: 'stable@0123456789abcdef',
        hostname,
        channel: 'stable',
        state: 'Activating',
        targetClosure: '/nix/store/0123456789abcdefghijklmnopqrstuv-nixos-system',
        lastEventSeq: seq,
      } as unknown as HostRolloutState,
      eventRef: i,
    });
  }
  return ops;
}

/** Commits EVENTS events in batches of `size`; returns events/s and ms per batch. */
async function measure(s: Storage, size: number): Promise<{ eps: number; msPerBatch: number }> {
  const batches = Math.max(1, Math.floor(EVENTS / size / (size === 1 ? 4 : 1)));
  const prepared = Array.from({ length: batches }, () => batch(size));
  const t0 = performance.now();
  for (const b of prepared) await s.commit(b);
  const ms = performance.now() - t0;
  return { eps: (batches * size * 1000) / ms, msPerBatch: ms / batches };
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'));
  const cluster = await startPgCluster();
  const results = new Map<string, { eps: number[]; ms: number[] }>();
  const p0 = cpuPressureUs();
  const t0 = Date.now();
  try {
    for (let run = 0; run < RUNS; run++) {
      // Interleaved: each run measures both backends back to back.
      for (const backend of ['sqlite', 'postgres'] as const) {
        const s =
          backend === 'sqlite'
            ? openSqliteStorage(join(dir, `run${run}.db`))
            : openPostgresStorage(await cluster.createDatabase());
        await s.migrate();
        await measure(s, 16); // warm-up: connections, prepared statements
        for (const size of SIZES) {
          const r = await measure(s, size);
          const key = `${backend} ${size}`;
          const acc = results.get(key) ?? { eps: [], ms: [] };
          acc.eps.push(r.eps);
          acc.ms.push(r.msPerBatch);
          results.set(key, acc);
        }
        await s.close();
      }
    }
  } finally {
    cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const psi = (cpuPressureUs() - p0) / 1e3 / (Date.now() - t0);
  console.log(
    `storage commit throughput, ${RUNS} runs, interleaved (cpu psi some ${psi.toFixed(2)})`,
  );
  console.log('backend     batch  events/s (median, min–max)     ms/batch (median)');
  for (const [key, r] of results) {
    const [backend, size] = key.split(' ');
    console.log(
      `${(backend as string).padEnd(10)} ${(size as string).padStart(6)}  ${median(r.eps).toFixed(0).padStart(8)} (${Math.min(...r.eps).toFixed(0)}–${Math.max(...r.eps).toFixed(0)})`.padEnd(
        48,
      ) + `${median(r.ms).toFixed(2).padStart(8)}`,
    );
  }
}

await main();
