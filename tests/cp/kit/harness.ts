// A real control plane for integration tests: temp directory, test PKI,
// trust.json, a signed release directory, a SQLite file, the CP listening on
// 127.0.0.1:0, and mTLS clients per host. Nothing is mocked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createControlPlane,
  parseConfig,
  silentLogger,
  type ControlPlane,
} from '../../../ts/cp/index.ts';
import type { Clock } from '../../../ts/cp/clock.ts';
import type { Logger } from '../../../ts/cp/log.ts';
import { connect, type H2Client } from './client.ts';
import { makePki, type TestPki } from './pki.ts';
import {
  makeTrust,
  writeRelease,
  type ReleaseSpec,
  type TestTrust,
  type Release,
} from './release.ts';

/** A running test control plane. */
export interface TestCp {
  readonly dir: string;
  readonly releaseDir: string;
  readonly dbPath: string;
  readonly pki: TestPki;
  readonly trust: TestTrust;
  cp: ControlPlane;
  port: number;
  release: Release | null;
  /** An mTLS client for `cn` (cached per cn). */
  client(cn: string): Promise<H2Client>;
  /** A client without a certificate. */
  anonymous(): Promise<H2Client>;
  /** Writes a new signed release and polls it in. */
  publish(spec: ReleaseSpec): Promise<Release>;
  /** Stops the CP and starts a new one on the same files (optionally after deleting the DB). */
  restart(options?: { readonly wipe?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link startTestCp}. */
export interface TestCpOptions {
  readonly release?: ReleaseSpec;
  readonly flags?: Record<string, unknown>;
  readonly clock?: Clock;
  readonly log?: Logger;
}

/** Starts a CP on a fresh temp directory. */
export async function startTestCp(options: TestCpOptions = {}): Promise<TestCp> {
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-cp-'));
  const releaseDir = join(dir, 'release');
  const pki = await makePki(dir);
  const trust = makeTrust(dir);
  const dbPath = join(dir, 'state', 'state.db');
  const release = options.release ? writeRelease(releaseDir, trust, options.release) : null;
  const config = parseConfig({
    listen: '127.0.0.1:0',
    tlsCert: pki.serverCertFile,
    tlsKey: pki.serverKeyFile,
    fleetCaCert: pki.caCertFile,
    fleetCaKey: pki.caKeyFile,
    trustFile: trust.trustFile,
    db: dbPath,
    releaseDir,
    artifactFreshnessMinutes: '5256000',
    shutdownDeadlineSecs: '2',
    groupCommitMs: '1',
    planningWarmupSecs: '86400',
    ...options.flags,
  });
  const log = options.log ?? silentLogger();
  const make = async (): Promise<{ cp: ControlPlane; port: number }> => {
    const cp = await createControlPlane(config, {
      log,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const { port } = await cp.start();
    // On PostgreSQL a replica serves once it leads (the only one here).
    for (let i = 0; i < 200 && !cp.runtime.replica.leading(); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return { cp, port };
  };
  const first = await make();
  const clients = new Map<string, H2Client>();
  const t: TestCp = {
    dir,
    releaseDir,
    dbPath,
    pki,
    trust,
    cp: first.cp,
    port: first.port,
    release,
    async client(cn) {
      let c = clients.get(cn);
      if (c === undefined || c.session.closed || c.session.destroyed) {
        const { cert, key } = await pki.client(cn);
        c = await connect(t.port, { ca: pki.caPem, cert, key });
        clients.set(cn, c);
      }
      return c;
    },
    anonymous: () => connect(t.port, { ca: pki.caPem }),
    async publish(spec) {
      t.release = writeRelease(releaseDir, trust, spec);
      await t.cp.poll();
      return t.release;
    },
    async restart(o = {}) {
      for (const c of clients.values()) c.close();
      clients.clear();
      await t.cp.stop();
      if (o.wipe) {
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      }
      const next = await make();
      t.cp = next.cp;
      t.port = next.port;
    },
    async close() {
      for (const c of clients.values()) c.close();
      await t.cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** Hosts `h-000`… spread over waves. */
export function hostsIn(waves: readonly number[], channel = 'stable'): ReleaseSpec['hosts'] {
  const out: { name: string; channel: string; wave: number }[] = [];
  let i = 0;
  waves.forEach((n, wave) => {
    for (let k = 0; k < n; k++)
      out.push({ name: `h-${String(i++).padStart(3, '0')}`, channel, wave });
  });
  return out;
}
