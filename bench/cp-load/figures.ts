// The figures of one cp-load pass (one backend) and the table that sets
// passes side by side, each column with its own baseline and CPU pressure.
// Pure: the benchmark scrapes and measures, these functions read and format.

/** A histogram series' cumulative buckets, as /metrics exposes them. */
export interface Bucket {
  /** Upper bound in seconds (Infinity for `+Inf`). */
  readonly le: number;
  /** Observations at or below `le`. */
  readonly count: number;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The buckets of histogram `name`'s series `series` (its labels before
 * `le`, e.g. `route="POST /v1/agent/events"`) in a /metrics text, by bound.
 *
 * @example bucketsOf('h_bucket{le="0.1"} 3\nh_bucket{le="+Inf"} 4', 'h', '') // [{le:0.1,count:3},{le:Infinity,count:4}]
 */
export function bucketsOf(text: string, name: string, series: string): Bucket[] {
  const pre = series === '' ? '' : `${escapeRe(series)},`;
  const re = new RegExp(`^${escapeRe(name)}_bucket\\{${pre}le="([^"]+)"\\} ([0-9.e+-]+)$`, 'gm');
  return [...text.matchAll(re)]
    .map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }))
    .sort((a, b) => a.le - b.le);
}

/** Observations in all (the `+Inf` bucket); 0 when there are none. */
export function totalOf(buckets: readonly Bucket[]): number {
  return buckets.at(-1)?.count ?? 0;
}

/** Share of observations at or below `le` (exact at a bucket bound); NaN when empty or `le` is no bound. */
export function shareAtOrBelow(buckets: readonly Bucket[], le: number): number {
  const b = buckets.find((x) => x.le === le);
  const total = totalOf(buckets);
  return b === undefined || total === 0 ? NaN : b.count / total;
}

/**
 * The smallest bucket bound that holds the `q` quantile (0 < q ≤ 1): the
 * quantile is at most this. NaN when empty.
 *
 * @example quantileBound([{le:0.01,count:50},{le:0.05,count:99},{le:Infinity,count:100}], 0.99) // 0.05
 */
export function quantileBound(buckets: readonly Bucket[], q: number): number {
  const total = totalOf(buckets);
  if (total === 0) return NaN;
  return buckets.find((b) => b.count >= q * total)?.le ?? Infinity;
}

/** One replica's (or the single CP's) part of a pass. */
export interface ReplicaFigures {
  readonly name: string;
  readonly role: 'single' | 'leader' | 'follower';
  /** Event requests at its edge (any status) and their edge-latency buckets. */
  readonly edgeEvents: readonly Bucket[];
  /** Events it acknowledged (204) and refused as not the leader (503). */
  readonly events204: number;
  readonly events503: number;
  /** Requests it forwarded to the leader (a follower): relayed, and answered not-leader instead. */
  readonly forwarded: number;
  readonly forwardFailed: number;
  readonly rssPeakMiB: number;
  readonly cpuSecs: number;
}

/** Client-side percentiles (ms). */
export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
}

/** One pass: a backend at one fleet size, its baseline and its machine. */
export interface PassFigures {
  readonly label: string;
  readonly baseline: Percentiles;
  readonly eventClient: Percentiles;
  readonly heartbeat: Percentiles;
  readonly ticks: number;
  readonly tickMeanMs: number;
  readonly converged: number;
  readonly hosts: number;
  /** Seconds from release to every host converged; NaN when it did not finish. */
  readonly convergedAfterSecs: number;
  readonly stormSecs: number;
  readonly replicas: readonly ReplicaFigures[];
  /** The PostgreSQL server's CPU over the rollout phase (s); null on SQLite. */
  readonly postgresCpuSecs: number | null;
  /** Agents' requests answered by each replica, its not-leader refusals, switches, exhausted rounds. */
  readonly answered: readonly number[];
  readonly notLeader: readonly number[];
  readonly failovers: number;
  readonly exhausted: number;
  /** CPU pressure (PSI some) over the rollout phase, % of wall time. */
  readonly psiPct: number;
  readonly loadAverage: string;
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const bound = (s: number): string =>
  Number.isNaN(s) ? '–' : Number.isFinite(s) ? `≤ ${s * 1000} ms` : '> last bound';
const share = (x: number): string => (Number.isNaN(x) ? '–' : `${(100 * x).toFixed(2)} %`);
const perReplica = (p: PassFigures, f: (r: ReplicaFigures) => string): string =>
  p.replicas
    .map((r) => `${r.name}${r.role === 'single' ? '' : ` (${r.role})`}: ${f(r)}`)
    .join('; ');

/** The rows of the comparison, one value per pass. */
export function comparisonRows(passes: readonly PassFigures[]): [string, ...string[]][] {
  const row = (name: string, f: (p: PassFigures) => string): [string, ...string[]] => [
    name,
    ...passes.map(f),
  ];
  return [
    row('hosts', (p) => String(p.hosts)),
    row('CPU pressure (PSI some), rollout phase', (p) => `${p.psiPct.toFixed(0)} %`),
    row('load average', (p) => p.loadAverage),
    row(
      'baseline heartbeat p50 / p99 (ms)',
      (p) => `${ms(p.baseline.p50)} / ${ms(p.baseline.p99)}`,
    ),
    row('edge: events acknowledged (204)', (p) => perReplica(p, (r) => String(r.events204))),
    row('edge: events refused not-leader (503)', (p) => perReplica(p, (r) => String(r.events503))),
    row('follower: requests forwarded to the leader (not relayed)', (p) =>
      perReplica(p, (r) => `${r.forwarded} (${r.forwardFailed})`),
    ),
    row('edge: event requests within 50 ms', (p) =>
      perReplica(
        p,
        (r) => `${share(shareAtOrBelow(r.edgeEvents, 0.05))} of ${totalOf(r.edgeEvents)}`,
      ),
    ),
    row('edge: event requests p50 / p99', (p) =>
      perReplica(
        p,
        (r) =>
          `${bound(quantileBound(r.edgeEvents, 0.5))} / ${bound(quantileBound(r.edgeEvents, 0.99))}`,
      ),
    ),
    row(
      'client: event ingest p50 / p99 (ms)',
      (p) => `${ms(p.eventClient.p50)} / ${ms(p.eventClient.p99)} (n=${p.eventClient.n})`,
    ),
    row(
      'client: heartbeat (steady) p50 / p99 (ms)',
      (p) => `${ms(p.heartbeat.p50)} / ${ms(p.heartbeat.p99)} (n=${p.heartbeat.n})`,
    ),
    row('ticks, mean (ms)', (p) => `${p.ticks}, ${ms(p.tickMeanMs)}`),
    row(
      'converged after release (s)',
      (p) =>
        `${p.converged}/${p.hosts} after ${Number.isNaN(p.convergedAfterSecs) ? '– (not finished)' : p.convergedAfterSecs.toFixed(1)}`,
    ),
    row('reconnect storm + heartbeat (s)', (p) => p.stormSecs.toFixed(1)),
    row('CP RSS peak (MiB)', (p) => perReplica(p, (r) => r.rssPeakMiB.toFixed(0))),
    row('CP CPU, rollout phase (s)', (p) => perReplica(p, (r) => r.cpuSecs.toFixed(1))),
    row('PostgreSQL server CPU, rollout phase (s)', (p) =>
      p.postgresCpuSecs === null ? '–' : p.postgresCpuSecs.toFixed(1),
    ),
    row('agents: requests answered (not-leader)', (p) =>
      p.replicas
        .map((r, i) => `${r.name}: ${p.answered[i] ?? 0} (${p.notLeader[i] ?? 0})`)
        .join('; '),
    ),
    row('agents: failovers, exhausted rounds', (p) => `${p.failovers}, ${p.exhausted}`),
  ];
}

/** A Markdown table of the passes side by side. */
export function comparisonTable(passes: readonly PassFigures[]): string {
  const head = `| figure | ${passes.map((p) => p.label).join(' | ')} |`;
  const rule = `|---|${passes.map(() => '---').join('|')}|`;
  return [head, rule, ...comparisonRows(passes).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
