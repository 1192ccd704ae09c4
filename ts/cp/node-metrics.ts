// The nodejs_* series Node exporters are expected to export, under the
// names and units of the common client library, so stock Node dashboards
// work: heap and heap spaces, event-loop lag, gc pauses, active resources,
// the Node version. Written from node:v8 and node:perf_hooks rather than a
// client library: a handful of gauges do not justify a dependency on every
// host. Lag and gc are sampled by one sampler per process (started by the
// first registry, never stopped: neither keeps the process alive); the rest
// is read at scrape time.
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { Histogram, type CpMetrics } from './metrics.ts';

const GC_KINDS = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

let samplers: {
  readonly lag: ReturnType<typeof monitorEventLoopDelay>;
  readonly gc: Histogram;
} | null = null;

function startSamplers(): NonNullable<typeof samplers> {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const gc = new Histogram(
    'nodejs_gc_duration_seconds',
    'Garbage collection duration by kind, in seconds.',
    [0.001, 0.01, 0.1, 1, 2, 5],
  );
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind =
        GC_KINDS.get((e as { detail?: { kind?: number } }).detail?.kind ?? -1) ?? 'unknown';
      gc.observe(e.duration / 1000, { kind });
    }
  }).observe({ entryTypes: ['gc'] });
  return { lag, gc };
}

/** Registers the nodejs_* defaults on `metrics`. */
export function registerNodeMetrics(metrics: CpMetrics): void {
  samplers ??= startSamplers();
  const { lag, gc } = samplers;
  const memory = (): NodeJS.MemoryUsage => process.memoryUsage();
  metrics.collect(
    'nodejs_heap_size_total_bytes',
    'gauge',
    'Process heap size from Node.js in bytes.',
    () => memory().heapTotal,
  );
  metrics.collect(
    'nodejs_heap_size_used_bytes',
    'gauge',
    'Process heap size used from Node.js in bytes.',
    () => memory().heapUsed,
  );
  metrics.collect(
    'nodejs_external_memory_bytes',
    'gauge',
    'Node.js external memory size in bytes.',
    () => memory().external,
  );
  const spaces = (field: 'space_size' | 'space_used_size' | 'space_available_size') => () =>
    getHeapSpaceStatistics().map(
      (s) => [{ space: s.space_name.replace(/_space$/, '') }, s[field]] as const,
    );
  metrics.collect(
    'nodejs_heap_space_size_total_bytes',
    'gauge',
    'Process heap space size total from Node.js in bytes, by space.',
    spaces('space_size'),
  );
  metrics.collect(
    'nodejs_heap_space_size_used_bytes',
    'gauge',
    'Process heap space size used from Node.js in bytes, by space.',
    spaces('space_used_size'),
  );
  metrics.collect(
    'nodejs_heap_space_size_available_bytes',
    'gauge',
    'Process heap space size available from Node.js in bytes, by space.',
    spaces('space_available_size'),
  );

  // Lag since the previous scrape (the histogram is reset after each one);
  // no sample yet reads as no series rather than the histogram's sentinels.
  let read: { readonly [stat: string]: number } | null = null;
  const stats = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;
  stats.forEach((stat, i) =>
    metrics.collect(
      `nodejs_eventloop_lag_${stat}_seconds`,
      'gauge',
      `The ${stat} of the event-loop lag since the previous scrape, in seconds.`,
      () => {
        // The first family of a scrape reads the window; the last one resets it.
        if (i === 0) read = lag.count > 0 ? lagStats(lag) : null;
        const v = read?.[stat];
        if (i === stats.length - 1) lag.reset();
        return v === undefined ? [] : v;
      },
    ),
  );

  metrics.register(gc);

  metrics.collect(
    'nodejs_active_resources',
    'gauge',
    'Resources keeping the event loop alive, by type (handles, requests, timers).',
    () => {
      const by = new Map<string, number>();
      for (const type of process.getActiveResourcesInfo()) by.set(type, (by.get(type) ?? 0) + 1);
      return [...by].map(([type, n]) => [{ type }, n] as const);
    },
  );
  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  metrics.collect('nodejs_version_info', 'gauge', 'Node.js version info.', () => [
    [{ version: process.version, major, minor, patch }, 1],
  ]);
}

function lagStats(h: ReturnType<typeof monitorEventLoopDelay>): Record<string, number> {
  const s = (ns: number): number => ns / 1e9;
  return {
    min: s(h.min),
    max: s(h.max),
    mean: s(h.mean),
    stddev: s(h.stddev),
    p50: s(h.percentile(50)),
    p90: s(h.percentile(90)),
    p99: s(h.percentile(99)),
  };
}
