// Benchmark of the pure planner: planNext for 1,000 / 10,000 / 100,000 hosts
// (3 channels, 3 waves, 5 budgets, mid-rollout: wave 0 Converged, wave 1 in
// flight, wave 2 waiting), with and without recorded decisions (paced
// replans record theirs at most every 2 s). Prints figures, the ratios
// measured in this run and the machine's CPU pressure (PSI) beside them.
// Run: npx tsx bench/planner.bench.ts
import { readFileSync } from 'node:fs';
import { planNext, rolloutIdOf } from '../ts/core/index.ts';
import type {
  HostRolloutState,
  PlannerInput,
  RolloutRecord,
  ManifestView,
} from '../ts/core/index.ts';
import { closureOf, sel } from '../tests/support/core-sim.ts';
import { DEFAULT_TIMINGS } from '../ts/core/time.ts';

const NOW = Date.UTC(2026, 4, 16, 12);
const CHANNELS = ['edge', 'stable', 'lts'];

function hostRecord(
  rolloutId: string,
  hostname: string,
  channel: string,
  wave: number,
  state: HostRolloutState['state'],
  target: string,
): HostRolloutState {
  const at = NOW - 30 * 60_000;
  const soaking = state === 'Soaking' || state === 'Converged';
  return {
    rolloutId,
    hostname,
    channel,
    wave,
    state,
    targetClosure: target,
    currentClosureAtDispatch: 'prior',
    currentClosure: soaking ? target : null,
    revertedTo: null,
    dispatchedAt: at,
    confirmDeadline: at + 360_000,
    soakDueAt: at + 60_000,
    soakMs: 60_000,
    dispatchAckedAt: state === 'Pending' ? null : at,
    activationStartedAt: null,
    activationCompletedAt: soaking ? at : null,
    activationFailedAt: null,
    deferredAt: null,
    deferredComponent: null,
    probeTopology: soaking ? [{ name: 'http', kind: 'http', mode: 'enforce' }] : null,
    probeObservedFirstAt: soaking ? at : null,
    probeFailureFirstAt: null,
    convergedAt: state === 'Converged' ? at + 60_000 : null,
    failedAt: null,
    failureReason: null,
    rejectReason: null,
    policyApplied: null,
    revertedAt: null,
    probes: soaking
      ? {
          http: {
            status: 'Pass',
            mode: 'enforce',
            firstObservedAt: at,
            lastObservedAt: at,
            lastPassAt: at,
            failureReason: null,
          },
        }
      : {},
    failingSince: null,
    outstandingFailures: [],
    lastEventSeq: 5,
  };
}

function buildInput(n: number): PlannerInput {
  const names = Array.from({ length: n }, (_, i) => `host-${String(i).padStart(6, '0')}`).sort();
  const manifests = new Map<string, ManifestView>();
  const channelRefs = new Map<string, string | null>();
  const hosts = new Map<string, Map<string, HostRolloutState>>();
  const rollouts: Record<string, RolloutRecord> = {};
  const activeByChannel: Record<string, string> = {};
  const liveness = new Map<string, { lastHeartbeatAt: number }>();
  // Five budgets over the whole fleet: tag-like slices, a mix of limits.
  const budgetDefs = [0, 1, 2, 3, 4].map((k) => ({
    selector: sel({ tags: [`b${k}`] }),
    hosts: names.filter((_, i) => i % 5 === k || (k === 4 && i % 7 === 0)),
    maxInFlight: k % 2 === 0 ? Math.max(1, Math.floor(n / 50)) : null,
    maxInFlightPct: k % 2 === 1 ? 10 : null,
  }));
  CHANNELS.forEach((channel, ci) => {
    const ref = `abc${ci}`;
    const id = rolloutIdOf(channel, ref);
    const members = names.filter((_, i) => i % 3 === ci);
    const hostSet = members.map((hostname, i) => ({
      hostname,
      waveIndex: i % 10 === 0 ? 0 : i % 10 < 5 ? 1 : 2,
      targetClosure: closureOf(hostname, ref),
    }));
    manifests.set(id, {
      channel,
      channelRef: ref,
      hostSet,
      waves: [{ soakMinutes: 5 }, { soakMinutes: 10 }, { soakMinutes: 0 }],
      onHealthFailure: 'rollback-and-halt',
      disruptionBudgets: budgetDefs.map((b) => ({ ...b, hosts: b.hosts })),
    });
    channelRefs.set(channel, ref);
    const records = new Map<string, HostRolloutState>();
    const counts = {
      Pending: 0,
      Activating: 0,
      Deferred: 0,
      Soaking: 0,
      Converged: 0,
      Failed: 0,
      Reverted: 0,
    };
    hostSet.forEach((h, i) => {
      liveness.set(h.hostname, { lastHeartbeatAt: i % 97 === 0 ? NOW - 3_600_000 : NOW - 10_000 });
      let state: HostRolloutState['state'] | null = null;
      if (h.waveIndex === 0) state = 'Converged';
      else if (h.waveIndex === 1 && i % 4 === 0) state = i % 8 === 0 ? 'Soaking' : 'Activating';
      if (state === null) return;
      counts[state] += 1;
      records.set(
        h.hostname,
        hostRecord(id, h.hostname, channel, h.waveIndex, state, h.targetClosure),
      );
    });
    hosts.set(id, records);
    activeByChannel[channel] = id;
    rollouts[id] = {
      rolloutId: id,
      channel,
      targetRef: ref,
      state: 'Active',
      currentWave: 1,
      waveCount: 3,
      counts,
      failedHalted: 0,
      acknowledged: 0,
      catchUpHosts: [],
      skipped: [],
      openedAt: NOW - 3_600_000,
      lastTransitionAt: NOW - 3_600_000,
      terminalAt: null,
      supersededAt: null,
      supersededBy: null,
      prunedAt: null,
      haltedBy: null,
    };
  });
  return {
    channelRefs,
    manifests,
    fleet: { edges: [], channelEdges: [{ before: 'edge', after: 'stable', reason: null }] },
    rollouts: { rollouts, activeByChannel },
    hosts,
    liveness,
    quarantines: new Map(),
    timings: DEFAULT_TIMINGS,
  };
}

function timeIt(fn: () => void, minRuns: number, minMs: number): number {
  fn(); // warm-up
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number; // median
}

/** Machine-wide CPU pressure (PSI `some` total, µs); NaN where unavailable. */
function cpuPressureUs(): number {
  try {
    const m = /some avg10=\S+ avg60=\S+ avg300=\S+ total=(\d+)/.exec(
      readFileSync('/proc/pressure/cpu', 'utf8'),
    );
    return Number(m?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

const psi0 = cpuPressureUs();
const wall0 = performance.now();
const sizes = [1_000, 10_000, 100_000];
const results = new Map<
  number,
  { tick: number; quiet: number; decisions: number; actions: number }
>();
for (const n of sizes) {
  const input = buildInput(n);
  let decisions = 0;
  let actions = 0;
  // The CP keeps manifest layouts across ticks (manifests are immutable).
  const layouts = new Map();
  const runs = n >= 100_000 ? 5 : 20;
  const minMs = n >= 100_000 ? 3_000 : 1_000;
  const tick = timeIt(
    () => {
      const plan = planNext(input, NOW, { layouts });
      decisions = plan.decisions.length;
      actions = plan.actions.length;
    },
    runs,
    minMs,
  );
  const quiet = timeIt(() => planNext(input, NOW, { layouts, explain: false }), runs, minMs);
  results.set(n, { tick, quiet, decisions, actions });
  console.log(
    `planNext ${String(n).padStart(7)} hosts: ${tick.toFixed(2).padStart(8)} ms/tick (median; ${decisions} decisions, ${actions} actions) | without decisions: ${quiet.toFixed(2)} ms`,
  );
}
const r1 = results.get(1_000);
const r10 = results.get(10_000);
const r100 = results.get(100_000);
if (r1 && r10 && r100) {
  console.log(
    `ratio 10k/1k: ${(r10.tick / r1.tick).toFixed(2)}x  ratio 100k/10k: ${(r100.tick / r10.tick).toFixed(2)}x  (linear = 10x)`,
  );
  const ok = r10.tick < 50 && r100.tick < 500;
  console.log(`targets (<50 ms @10k, <500 ms @100k): ${ok ? 'met' : 'NOT met'}`);
}
const wall = performance.now() - wall0;
console.log(
  `machine CPU pressure during the run: ${(((cpuPressureUs() - psi0) / 1000 / wall) * 100).toFixed(0)} % (PSI some; a quiet machine is near 0 %), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
