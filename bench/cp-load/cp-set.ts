// The control planes one cp-load pass measures: one process on a SQLite
// file, or `replicas` processes on one database of a throwaway PostgreSQL
// cluster the benchmark starts and stops itself (ts/harness/postgres.ts:
// initdb in a temporary directory, loopback only). The first replica is
// started alone and waited for as the leader before the others start, so
// replica 0 leads and the rest follow.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgCluster, type PgCluster } from '../../ts/harness/postgres.ts';
import { connect } from '../../tests/cp/kit/client.ts';
import type { TestPki } from '../../tests/cp/kit/pki.ts';
import { cpServeArgs } from '../../tests/cp/kit/cp-argv.ts';
import { freePort } from './measure.ts';

export type Backend = 'sqlite' | 'postgres';

/** One control-plane process. */
export interface CpProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly role: 'single' | 'leader' | 'follower';
  readonly child: ChildProcess;
}

/** The processes of one pass, leader (or the single CP) first. */
export interface CpSet {
  readonly backend: Backend;
  readonly procs: readonly CpProcess[];
  /** The PostgreSQL server's postmaster (null on SQLite): its CPU is part of the backend's cost. */
  readonly postgresPid: number | null;
  /** Stops every process and the PostgreSQL cluster. */
  stop(): Promise<void>;
}

export interface CpSetOptions {
  readonly backend: Backend;
  /** Replicas on PostgreSQL (ignored for SQLite: one process). */
  readonly replicas: number;
  /** This pass's own directory (state, per-replica files). */
  readonly dir: string;
  readonly pki: TestPki;
  readonly trustFile: string;
  readonly releaseDir: string;
  /** Node flags (profiling, GC tracing) before the entry point. */
  readonly nodeFlags: readonly string[];
  /** CP flags after `--release-dir` (timings, log level, extras). */
  readonly flags: readonly string[];
  /** Where the CPs' stdout goes (null: discarded); one file per process, suffixed by its name. */
  readonly stdout: string | null;
}

/** `/healthz`'s replica role of the CP on `port`, `single` without replicas, null while it does not answer. */
async function roleOf(port: number, ca: string): Promise<CpProcess['role'] | null> {
  try {
    const c = await connect(port, { ca });
    try {
      const r = await c.request('/healthz', { noProtocol: true, timeoutMs: 2000 });
      const replica = r.json<{ replica?: { role?: string } }>().replica;
      if (replica === undefined) return 'single';
      return replica.role === 'leader' || replica.role === 'follower' ? replica.role : null;
    } finally {
      c.close();
    }
  } catch {
    return null;
  }
}

async function waitForRole(
  port: number,
  ca: string,
  want: CpProcess['role'],
  child: ChildProcess,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`CP on port ${port} exited (${child.exitCode})`);
    if ((await roleOf(port, ca)) === want) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`CP on port ${port} did not become ${want} within 60 s`);
}

/**
 * The postmaster of the one cluster this process runs (ts/harness/postgres.ts
 * names its directory `nixfleet-pg-<runner pid>-…`, the pid on the first
 * line of `data/postmaster.pid`).
 */
function postmasterPid(): number {
  const prefix = `nixfleet-pg-${process.pid}-`;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(
      readFileSync(join(tmpdir(), name, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  throw new Error('the PostgreSQL cluster this benchmark started has no postmaster.pid');
}

export async function startCpSet(o: CpSetOptions): Promise<CpSet> {
  let cluster: PgCluster | null = null;
  let urlFile: string | null = null;
  let postgresPid: number | null = null;
  if (o.backend === 'postgres') {
    cluster = await startPgCluster({ runner: process.pid });
    urlFile = join(o.dir, 'database-url');
    writeFileSync(urlFile, `${await cluster.createDatabase()}\n`, { mode: 0o600 });
    postgresPid = postmasterPid();
  }
  const procs: CpProcess[] = [];
  // Never leave a CP or a cluster behind if the benchmark dies.
  const onExit = (): void => {
    for (const p of procs) p.child.kill('SIGKILL');
    cluster?.destroy();
  };
  process.on('exit', onExit);
  const count = o.backend === 'postgres' ? Math.max(1, o.replicas) : 1;
  for (let k = 0; k < count; k++) {
    const name = o.backend === 'postgres' ? `r${k}` : 'cp';
    const own = join(o.dir, name);
    mkdirSync(own, { recursive: true });
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...o.nodeFlags,
        ...cpServeArgs({
          port,
          pki: o.pki,
          trustFile: o.trustFile,
          db: join(own, 'state.db'),
          releaseDir: o.releaseDir,
          ...(urlFile === null ? {} : { postgres: { databaseUrlFile: urlFile } }),
        }),
        ...o.flags,
      ],
      {
        stdio: [
          'ignore',
          o.stdout === null ? 'ignore' : openSync(`${o.stdout}.${name}`, 'w'),
          'inherit',
        ],
      },
    );
    const role: CpProcess['role'] =
      o.backend === 'sqlite' ? 'single' : k === 0 ? 'leader' : 'follower';
    procs.push({ name, port, pid: child.pid as number, role, child });
    await waitForRole(port, o.pki.caPem, role, child);
  }
  return {
    backend: o.backend,
    procs,
    postgresPid,
    async stop() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise((r) => {
              if (p.child.exitCode !== null || p.child.signalCode !== null) return r(null);
              p.child.once('exit', r);
              p.child.kill('SIGTERM');
            }),
        ),
      );
      cluster?.destroy();
      process.off('exit', onExit);
    },
  };
}
