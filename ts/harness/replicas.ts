// Control-plane replicas in a harness run (scenario field `replicas`): a
// throwaway PostgreSQL cluster (ts/harness/postgres.ts), one database, and
// N `nixfleet-control-plane serve` processes on it, each at its own URL on
// the CP address the hosts' namespaces reach. Owns which replica leads (each
// one's /healthz, the same answer an operator's load balancer reads), the
// `killLeader` fault with its measured takeover, and `nixfleet status`
// against the new leader. The first replica is started alone and awaited as
// leader, so a run always starts from a known leader.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { join } from 'node:path';
import { ScenarioFailure } from './failure.ts';
import { startPgCluster, type PgCluster } from './postgres.ts';
import { cpSpec } from './specs.ts';
import { statusHosts } from './status-cli.ts';
import type { Supervisor } from './supervisor.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The longest a takeover may take (docs/design/replicas.md). */
export const TAKEOVER_LIMIT_MS = 10_000;

/** One replica: its supervisor name and URL. */
export interface ReplicaEndpoint {
  readonly name: string;
  readonly url: string;
}

/** What one `killLeader` established. */
export interface TakeoverMeasure {
  readonly killed: string;
  /** The replica that leads afterwards; null when none did within the wait. */
  readonly leader: string | null;
  /** SIGKILL to the new leader's /healthz answering `leader`. */
  readonly ms: number;
  /** `nixfleet status --json` against the new leader: the hosts it listed, or why it failed. */
  readonly status: { readonly hosts: readonly string[] } | { readonly error: string };
}

/** A replica's `replica` section of /healthz; null when it does not answer. */
export async function replicaRole(
  url: string,
  caCertFile: string,
): Promise<{ role: string; epoch: number | null } | null> {
  return new Promise((done) => {
    const s = connect(url, { ca: readFileSync(caCertFile) });
    const finish = (v: { role: string; epoch: number | null } | null): void => {
      s.close();
      s.destroy();
      done(v);
    };
    s.on('error', () => finish(null));
    s.setTimeout(1_000, () => finish(null));
    const req = s.request({ ':path': '/healthz' });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('error', () => finish(null));
    req.on('end', () => {
      try {
        const r = (JSON.parse(body) as { replica?: { role: string; epoch: number | null } })
          .replica;
        finish(status === 200 && r ? r : null);
      } catch {
        finish(null);
      }
    });
    req.end();
  });
}

/** What a run's replica set needs. */
export interface ReplicaSetOptions {
  readonly sup: Supervisor;
  /** One port per replica on `address`. */
  readonly ports: readonly number[];
  readonly address: string;
  /** The run's CP state directory: the database URL file, one directory per replica. */
  readonly dbDir: string;
  /** What every replica's command line shares with the single CP's. */
  readonly cp: Omit<Parameters<typeof cpSpec>[0], 'listen' | 'dbDir' | 'name' | 'replica'>;
  readonly operator: { caCert: string; clientCert: string; clientKey: string };
  readonly note: (line: string) => void;
}

/** The replicas of a run on one PostgreSQL cluster. */
export class ReplicaSet {
  private cluster: PgCluster | null = null;
  readonly endpoints: ReplicaEndpoint[];
  readonly takeovers: TakeoverMeasure[] = [];
  private leaderName: string;

  constructor(private readonly o: ReplicaSetOptions) {
    this.endpoints = o.ports.map((p, i) => ({
      name: `cp-${String.fromCharCode(97 + i)}`,
      url: `https://${o.address}:${p}`,
    }));
    this.leaderName = this.endpoints[0]!.name;
  }

  /** The faults that act on the single control plane have no meaning here; say which one does. */
  refuseSingleCpFault(kind: string): void {
    if (kind === 'killCp' || kind === 'restartCp' || kind === 'wipeCpDb')
      throw new ScenarioFailure(
        `fault ${kind} acts on one control plane: with replicas, use killLeader`,
      );
  }

  private spec(e: ReplicaEndpoint, databaseUrlFile: string) {
    const dbDir = join(this.o.dbDir, e.name);
    mkdirSync(dbDir, { recursive: true });
    return cpSpec({
      ...this.o.cp,
      listen: new URL(e.url).host,
      dbDir,
      name: e.name,
      replica: { advertiseUrl: e.url, databaseUrlFile },
    });
  }

  /** Every replica's URL, the leader's first. */
  get urls(): string[] {
    return this.endpoints.map((e) => e.url);
  }

  /**
   * Every replica's URL for the `i`-th agent, rotated by `i`: some agents
   * start on a follower, which serves them through the leader.
   */
  urlsFor(i: number): string[] {
    const u = this.urls;
    const k = i % u.length;
    return [...u.slice(k), ...u.slice(0, k)];
  }

  get leader(): ReplicaEndpoint {
    return this.endpoints.find((e) => e.name === this.leaderName)!;
  }

  /** Starts the cluster and the replicas; resolves once the first leads and the others follow. */
  async start(): Promise<void> {
    const t0 = Date.now();
    this.cluster = await startPgCluster({ runner: process.pid });
    const urlFile = join(this.o.dbDir, 'database-url');
    writeFileSync(urlFile, `${await this.cluster.createDatabase()}\n`, { mode: 0o600 });
    this.o.note(
      `PostgreSQL cluster up on 127.0.0.1:${this.cluster.port} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const [i, e] of this.endpoints.entries()) {
      this.o.sup.start(this.spec(e, urlFile));
      await this.awaitRole(e, i === 0 ? 'leader' : 'follower', 60_000);
      this.o.note(
        `control plane replica ${e.name} up at ${e.url} (${i === 0 ? 'leader' : 'follower'})`,
      );
    }
  }

  private async awaitRole(e: ReplicaEndpoint, role: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      if ((await replicaRole(e.url, this.o.cp.fx.pki.caCertFile))?.role === role) return;
      if (!this.o.sup.running(e.name))
        throw new ScenarioFailure(`replica ${e.name} exited at start:\n${this.o.sup.tail(e.name)}`);
      if (Date.now() > deadline)
        throw new ScenarioFailure(`replica ${e.name} not ${role} after ${ms / 1000} s`);
      await sleep(100);
    }
  }

  /**
   * SIGKILLs the replica that leads now (asked, not assumed), then polls the
   * others' /healthz every 50 ms until one leads; records the time and runs
   * `nixfleet status --json` against it. Waits up to three times the bound
   * so a slow takeover is measured, and judged by `leaderTakeover`.
   */
  async killLeader(): Promise<TakeoverMeasure> {
    let current = undefined as ReplicaEndpoint | undefined;
    for (const e of this.endpoints)
      if ((await replicaRole(e.url, this.o.cp.fx.pki.caCertFile))?.role === 'leader') current = e;
    if (current === undefined) throw new ScenarioFailure('killLeader: no replica leads');
    const t0 = performance.now();
    await this.o.sup.kill(current.name, 'SIGKILL');
    const others = this.endpoints.filter((e) => e !== current && this.o.sup.running(e.name));
    let leader = null as ReplicaEndpoint | null;
    while (leader === null && performance.now() - t0 < 3 * TAKEOVER_LIMIT_MS) {
      for (const e of others)
        if ((await replicaRole(e.url, this.o.cp.fx.pki.caCertFile))?.role === 'leader') leader = e;
      if (leader === null) await sleep(50);
    }
    const ms = performance.now() - t0;
    if (leader !== null) this.leaderName = leader.name;
    const m: TakeoverMeasure = {
      killed: current.name,
      leader: leader?.name ?? null,
      ms,
      status: leader ? await this.status(leader.url) : { error: 'no replica leads' },
    };
    this.takeovers.push(m);
    this.o.note(
      `killed leader ${current.name} (SIGKILL); ${leader ? `${leader.name} leads after ${(ms / 1000).toFixed(2)} s` : `no replica leads after ${(ms / 1000).toFixed(1)} s`}; nixfleet status there: ${'hosts' in m.status ? `${m.status.hosts.length} hosts` : m.status.error}`,
    );
    return m;
  }

  /** `nixfleet status --json` against `url`: the hosts it lists, or why it failed. */
  async status(url: string): Promise<TakeoverMeasure['status']> {
    const r = await statusHosts(url, this.o.operator);
    return 'error' in r ? r : { hosts: r.hosts.map((h) => h.hostname) };
  }

  /** Stops the cluster and removes its directory (the replicas are the supervisor's). */
  destroy(): void {
    this.cluster?.destroy();
    this.cluster = null;
  }
}

/**
 * Invariant `leaderTakeover`: every `killLeader` saw another replica lead
 * within {@link TAKEOVER_LIMIT_MS}, and `nixfleet status` against it listed
 * every host. A run without a takeover measured violates it.
 */
export function checkLeaderTakeover(
  takeovers: readonly TakeoverMeasure[],
  hosts: readonly string[],
): string[] {
  if (takeovers.length === 0) return ['leaderTakeover: no killLeader measured a takeover'];
  const out: string[] = [];
  for (const t of takeovers) {
    if (t.leader === null) out.push(`leaderTakeover: no replica led after ${t.killed} was killed`);
    else if (t.ms > TAKEOVER_LIMIT_MS)
      out.push(
        `leaderTakeover: ${t.leader} led ${(t.ms / 1000).toFixed(2)} s after ${t.killed} was killed (bound ${TAKEOVER_LIMIT_MS / 1000} s)`,
      );
    if ('error' in t.status)
      out.push(`leaderTakeover: nixfleet status against ${t.leader}: ${t.status.error}`);
    else {
      const missing = hosts.filter((h) => !(t.status as { hosts: string[] }).hosts.includes(h));
      if (missing.length > 0)
        out.push(
          `leaderTakeover: nixfleet status against ${t.leader} lists no ${missing.join(', ')}`,
        );
    }
  }
  return out;
}
