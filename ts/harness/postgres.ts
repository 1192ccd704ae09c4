// A throwaway PostgreSQL server for tests and harness scenarios: initdb in a
// temporary directory, pg_ctl start on 127.0.0.1 with a free port, one
// database per test (or per run), stop and remove at the end. Uses Debian's server binaries
// (/usr/lib/postgresql/<major>/bin, installed by scripts/ensure-deps.sh); no
// pre-existing service is touched. PostgreSQL refuses to run as root, so
// as root every server command runs as the `postgres` user, which owns the
// directory. One cluster per test file keeps the start-up (~1 s) out of each
// test; a fresh database per test keeps tests independent. A cluster's
// directory names the pid of the run that owns it (the test runner, or the
// harness process), so vitest's global teardown (tests/support/postgres-global.ts)
// stops what a test file or harness run that died left running.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A running throwaway cluster. */
export interface PgCluster {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Creates an empty database; returns its `postgres://` URL. */
  createDatabase(): Promise<string>;
  /** Stops the server at once (connections drop, as when the machine is lost). */
  kill(): void;
  /** Starts the stopped server again on the same port and data. */
  restart(): void;
  /** Stops the server and removes its directory. */
  destroy(): void;
}

/** The directory of `initdb`/`pg_ctl`, newest major first; null when not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? null : join(root, majors[0], 'bin');
}

/** Runs a server tool; as root, as the `postgres` user (PostgreSQL refuses root). */
function runTool(bin: string, tool: string, args: readonly string[]): void {
  const cmd = join(bin, tool);
  if (process.getuid?.() === 0) {
    execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  } else execFileSync(cmd, args, { stdio: 'pipe' });
}

/** Prefix of the directories of the clusters started under the test runner `runner` (a pid). */
const dirPrefix = (runner: number): string => `nixfleet-pg-${runner}-`;

/**
 * Stops and removes every cluster started under the test runner `runner`
 * that is still there (its test file died before its teardown). Returns how
 * many directories it removed.
 *
 * @example stopLeftoverClusters(process.pid) // in vitest's global teardown
 */
export function stopLeftoverClusters(runner: number): number {
  const bin = postgresBinDir();
  let removed = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(dirPrefix(runner))) continue;
    const data = join(tmpdir(), name, 'data');
    if (bin !== null && existsSync(join(data, 'postmaster.pid'))) {
      try {
        runTool(bin, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } catch {
        // Not running after all (a stale pid file): removing the directory is enough.
      }
    }
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** The runners (pids) that left clusters behind and no longer run. */
export function leftoverRunners(): number[] {
  const out = new Set<number>();
  for (const name of readdirSync(tmpdir())) {
    const m = /^nixfleet-pg-(\d+)-/.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') out.add(pid);
    }
  }
  return [...out];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Initialises and starts a cluster. Throws (naming scripts/ensure-deps.sh)
 * when the server binaries are missing: a skipped backend would pass
 * silently.
 *
 * @example const cluster = await startPgCluster(); const url = await cluster.createDatabase();
 */
export async function startPgCluster(
  options: {
    /** Pid the cluster's directory names (default: the parent, vitest's runner under its forks). */
    readonly runner?: number;
  } = {},
): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error('PostgreSQL server binaries not found: run scripts/ensure-deps.sh as root');
  }
  // Under vitest's forks the parent is the runner, whose teardown sweeps these.
  const dir = mkdtempSync(join(tmpdir(), dirPrefix(options.runner ?? process.ppid)));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (tool: string, args: readonly string[]): void => runTool(bin, tool, args);
  // --no-sync: the template cluster need not survive a machine crash; the
  // server itself runs with fsync on, as in production.
  run('initdb', [
    '-D',
    data,
    '-U',
    'nixfleet',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const port = await freePort();
  const start = (): void =>
    run('pg_ctl', [
      'start',
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'server.log'),
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c max_connections=200`,
    ]);
  start();
  let running = true;
  let n = 0;
  const url = (db: string): string => `postgres://nixfleet@127.0.0.1:${port}/${db}`;
  return {
    port,
    async createDatabase() {
      const name = `t${process.pid}_${++n}`;
      const c = new pg.Client({ connectionString: url('postgres') });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    kill() {
      if (!running) return;
      run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      running = false;
    },
    restart() {
      if (running) return;
      start();
      running = true;
    },
    destroy() {
      try {
        if (running) run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } finally {
        running = false;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
