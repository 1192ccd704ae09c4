// What the cp-load benchmark measures outside its agents: percentiles, the
// CP process's RSS and CPU from /proc, the machine's CPU pressure and
// accept-queue overflows, and the CP's own metrics over /metrics.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect } from '../../tests/cp/kit/client.ts';

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
export const fmt = (xs: number[]): string =>
  `n=${xs.length} p50=${pct(xs, 50).toFixed(1)} ms p99=${pct(xs, 99).toFixed(1)} ms p99.9=${pct(xs, 99.9).toFixed(1)} ms max=${Math.max(...xs).toFixed(1)} ms`;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function procStats(pid: number): {
  rss: number;
  cpuSecs: number;
  userSecs: number;
  sysSecs: number;
} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const userSecs = Number(stat[11]) / 100;
  const sysSecs = Number(stat[12]) / 100;
  return { rss, cpuSecs: userSecs + sysSecs, userSecs, sysSecs };
}

/**
 * CPU (s) of process `root` and its children, the reaped ones included: a
 * PostgreSQL server's postmaster and its backends, which come and go with
 * the replicas' pooled connections.
 */
export function treeCpuSecs(root: number): number {
  const fields = (pid: string | number): string[] => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    } catch {
      return [];
    }
  };
  // After the command: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime (ticks).
  const ticks = (f: string[]): number =>
    [11, 12, 13, 14].reduce((n, i) => n + Number(f[i] ?? 0), 0);
  let total = ticks(fields(root));
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === root) continue;
    const f = fields(pid);
    if (Number(f[1]) === root) total += ticks(f);
  }
  return total / 100;
}

/**
 * Machine-wide CPU pressure (PSI `some` total, µs): how long runnable tasks
 * waited for a CPU. Other engineers share this machine; a run under heavy
 * contention is not comparable with a quiet one, so every run prints it.
 */
export function cpuPressureUs(): number {
  try {
    const m = /some avg10=\S+ avg60=\S+ avg300=\S+ total=(\d+)/.exec(
      readFileSync('/proc/pressure/cpu', 'utf8'),
    );
    return Number(m?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Kernel-wide TcpExt ListenOverflows (accept queue full: the handshake's ACK was dropped). */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const head = lines[0]?.split(' ') ?? [];
  const vals = lines[1]?.split(' ') ?? [];
  return Number(vals[head.indexOf('ListenOverflows')] ?? NaN);
}

/** The CP's /metrics text, over a session of its own. */
export async function scrape(port: number, ca: string): Promise<string> {
  const c = await connect(port, { ca });
  try {
    return (await c.request('/metrics', { noProtocol: true })).body.toString();
  } finally {
    c.close();
  }
}

export async function metric(port: number, ca: string, name: string): Promise<number> {
  const body = await scrape(port, ca);
  let total = 0;
  for (const m of body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm')))
    total += Number(m[1]);
  return total;
}

/** Event-loop stalls (≥ 100 ms) of the CP's threads so far: count and total seconds. */
export interface Stalls {
  readonly main: { readonly n: number; readonly secs: number };
  readonly edge: { readonly n: number; readonly secs: number };
}

export async function stalls(port: number, ca: string): Promise<Stalls> {
  const body = await scrape(port, ca);
  const read = (suffix: string, thread: string): number =>
    Number(
      new RegExp(
        `^nixfleet_cp_event_loop_stall_seconds_${suffix}\\{thread="${thread}"\\} ([0-9.e+-]+)$`,
        'm',
      ).exec(body)?.[1] ?? 0,
    );
  const of = (thread: string): Stalls['main'] => ({
    n: read('count', thread),
    secs: read('sum', thread),
  });
  return { main: of('main'), edge: of('edge') };
}

/**
 * Share of a CP histogram's observations at or below `le` seconds (exact at
 * bucket bounds): the CP-side view of a latency target, free of the load
 * generator's own event-loop delay.
 */
export async function shareWithin(
  port: number,
  ca: string,
  name: string,
  le: string,
  /** A series' labels, e.g. `route="POST /v1/agent/events"` (first series if omitted). */
  series = '',
): Promise<number> {
  const body = await scrape(port, ca);
  const pre = series === '' ? '' : `${series},`;
  const within = new RegExp(`^${name}_bucket\\{${pre}[^}]*le="${le}"[^}]*\\} ([0-9.e+-]+)$`, 'm');
  const count = new RegExp(
    series === ''
      ? `^${name}_count(?:\\{[^}]*\\})? ([0-9.e+-]+)$`
      : `^${name}_count\\{${series}\\} ([0-9.e+-]+)$`,
    'm',
  );
  return Number(within.exec(body)?.[1] ?? NaN) / Number(count.exec(body)?.[1] ?? NaN);
}
