// Real control-plane processes (bin/nixfleet-control-plane.mjs) as replicas
// on one PostgreSQL database, for the replica tests: start one on a chosen
// port, ask its /healthz for its role, SIGKILL it, and mTLS clients per
// replica for simulated agents.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { connect, type H2Client } from './client.ts';
import type { TestPki } from './pki.ts';
import type { TestTrust } from './release.ts';

const root = resolve(import.meta.dirname, '../../..');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => done(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** One replica process. */
export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** Resolves with [code, signal] when the process ends. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Files every replica shares. */
export interface ReplicaFiles {
  readonly dir: string;
  readonly pki: TestPki;
  readonly trust: TestTrust;
  readonly releaseDir: string;
  readonly urlFile: string;
}

/** Starts a replica on `port` (it may become a follower). */
export function startReplica(
  f: ReplicaFiles,
  name: string,
  port: number,
  extra: readonly string[] = [],
  /** The URL it advertises (default: the one it listens at). */
  advertise?: string,
): Replica {
  const own = join(f.dir, name);
  mkdirSync(own, { recursive: true });
  const url = advertise ?? `https://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/nixfleet-control-plane.mjs'),
      'serve',
      ...['--listen', `127.0.0.1:${port}`, '--advertise-url', url],
      ...['--tls-cert', f.pki.serverCertFile, '--tls-key', f.pki.serverKeyFile],
      ...['--fleet-ca-cert', f.pki.caCertFile, '--fleet-ca-key', f.pki.caKeyFile],
      ...['--trust-file', f.trust.trustFile, '--release-dir', f.releaseDir],
      ...['--db', join(own, 'state.db'), '--database-url-file', f.urlFile],
      ...['--artifact-freshness-minutes', '5256000', '--planning-warmup-secs', '0'],
      ...['--reconcile-interval-secs', '0.3', '--group-commit-ms', '1'],
      ...['--shutdown-deadline-secs', '2', '--log-level', 'info'],
      ...extra,
    ],
    { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.on('exit', (c, s) => done([c, s])),
  );
  return { name, port, url, child, log: () => out, exited };
}

/** The `replica` part of a replica's /healthz, or null when it does not answer. */
export async function roleOf(
  f: ReplicaFiles,
  r: Replica,
): Promise<{ role: string; epoch: number | null; leader_url: string | null } | null> {
  let c: H2Client | null = null;
  try {
    c = await connect(r.port, { ca: f.pki.caPem });
    const res = await c.request('/healthz', { noProtocol: true, timeoutMs: 1_000 });
    if (res.status !== 200) return null;
    return res.json<{
      replica: { role: string; epoch: number | null; leader_url: string | null };
    }>().replica;
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/** The value of the sample `name` (no labels) on a replica's /metrics; null when absent. */
export async function metricOf(f: ReplicaFiles, r: Replica, name: string): Promise<number | null> {
  const c = await connect(r.port, { ca: f.pki.caPem });
  try {
    const res = await c.request('/metrics', { noProtocol: true, timeoutMs: 2_000 });
    const line = res.body
      .toString()
      .split('\n')
      .find((l) => l.startsWith(`${name} `));
    return line === undefined ? null : Number(line.slice(name.length + 1));
  } finally {
    c.close();
  }
}

/** Polls until `r` reports `role` (every 25 ms, up to `ms`); returns the time it took. */
export async function waitForRole(
  f: ReplicaFiles,
  r: Replica,
  role: 'leader' | 'follower',
  ms = 20_000,
): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if ((await roleOf(f, r))?.role === role) return performance.now() - t0;
    await new Promise((x) => setTimeout(x, 25));
  }
  throw new Error(`${r.name} did not become ${role} within ${ms} ms:\n${r.log().slice(-3000)}`);
}

/** mTLS clients of one host, one per replica port (reconnected when closed). */
export class HostClients {
  private readonly byPort = new Map<number, H2Client>();
  private creds: { cert: string; key: string } | null = null;

  constructor(
    readonly hostname: string,
    private readonly pki: TestPki,
  ) {}

  async to(port: number): Promise<H2Client> {
    this.creds ??= await this.pki.client(this.hostname);
    let c = this.byPort.get(port);
    if (c === undefined || c.session.closed || c.session.destroyed) {
      c = await connect(port, { ca: this.pki.caPem, ...this.creds });
      this.byPort.set(port, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.byPort.values()) c.close();
  }
}
