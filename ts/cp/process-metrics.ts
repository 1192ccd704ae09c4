// The process_* series every Prometheus exporter is expected to export
// (the names and units client libraries use, so stock dashboards and alerts
// work), and nixfleet_build_info. Read at scrape time from the runtime and
// /proc; anything /proc cannot tell (not Linux) is left out, not faked.
import { readdirSync, readFileSync } from 'node:fs';
import type { CpMetrics } from './metrics.ts';
import { versionInfo } from '../version/version.ts';
import { registerNodeMetrics } from './node-metrics.ts';

const startSeconds = Date.now() / 1000 - process.uptime();

function procStatus(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+) kB$/.exec(line);
      if (m) out.set(m[1] as string, Number(m[2]) * 1024);
    }
  } catch {
    // Not Linux.
  }
  return out;
}

function openFds(): number | null {
  try {
    // The listing itself holds one descriptor while it reads.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}

function maxFds(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Registers the process_* and nodejs_* defaults and nixfleet_build_info on
 * `metrics`.
 */
export function registerProcessMetrics(
  metrics: CpMetrics,
  env: Readonly<Record<string, string | undefined>>,
): void {
  // Read on the first scrape, not at start (see version.ts).
  let build: ReturnType<typeof versionInfo> | null = null;
  metrics.collect(
    'nixfleet_build_info',
    'gauge',
    'Always 1; the version, commit and Node version of this control plane.',
    () => {
      build ??= versionInfo(env);
      return [[{ version: build.version, commit: build.commit, node: build.node }, 1]];
    },
  );
  const cpu = (): NodeJS.CpuUsage => process.cpuUsage();
  metrics.collect(
    'process_cpu_seconds_total',
    'counter',
    'User and system CPU time spent, in seconds.',
    () => {
      const c = cpu();
      return (c.user + c.system) / 1e6;
    },
  );
  metrics.collect(
    'process_cpu_user_seconds_total',
    'counter',
    'User CPU time spent, in seconds.',
    () => cpu().user / 1e6,
  );
  metrics.collect(
    'process_cpu_system_seconds_total',
    'counter',
    'System CPU time spent, in seconds.',
    () => cpu().system / 1e6,
  );
  metrics.collect('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', () =>
    process.memoryUsage.rss(),
  );
  metrics.collect('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', () => {
    const v = procStatus().get('VmSize');
    return v === undefined ? [] : v;
  });
  metrics.collect(
    'process_start_time_seconds',
    'gauge',
    'Start time of the process since the Unix epoch, in seconds.',
    () => startSeconds,
  );
  metrics.collect('process_open_fds', 'gauge', 'Number of open file descriptors.', () => {
    const n = openFds();
    return n === null ? [] : n;
  });
  metrics.collect('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', () => {
    const n = maxFds();
    return n === null ? [] : n;
  });
  registerNodeMetrics(metrics);
}
