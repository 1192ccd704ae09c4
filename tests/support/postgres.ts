// A throwaway PostgreSQL server for tests: initdb in a temporary directory,
// pg_ctl start on 127.0.0.1 with a free port, one database per test, stop
// and remove at the end. Uses Debian's server binaries
// (/usr/lib/postgresql/<major>/bin, installed by scripts/ensure-deps.sh); no
// pre-existing service is touched. PostgreSQL refuses to run as root, so
// as root every server command runs as the `postgres` user, which owns the
// directory. One cluster per test file keeps the start-up (~1 s) out of each
// test; a fresh database per test keeps tests independent.
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
export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (bin === null) {
    throw new Error('PostgreSQL server binaries not found: run scripts/ensure-deps.sh as root');
  }
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (tool: string, args: readonly string[]): void => {
    const cmd = join(bin, tool);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
    else execFileSync(cmd, args, { stdio: 'pipe' });
  };
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
