// Control planes as separate processes (the real binary, bin/), for the
// agent's failover and reconnect tests: each has its own SQLite file and
// shares the fleet PKI, trust.json and signed release directory of the
// fleet, so an agent certificate issued by the fleet CA is valid at every one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../cp/kit/client.ts';
import { cpServeArgs } from '../../cp/kit/cp-argv.ts';
import type { TestPki } from '../../cp/kit/pki.ts';
import type { TestTrust } from '../../cp/kit/release.ts';

/** One running CP process. */
export interface CpProcess {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** A metric summed over its series whose labels contain `label`, from GET /metrics. */
  metric(name: string, label?: string): Promise<number>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `nixfleet-control-plane serve` on `port` and waits until it answers TLS. */
export async function spawnCp(o: {
  readonly dir: string;
  readonly port: number;
  readonly pki: TestPki;
  readonly trust: TestTrust;
  readonly releaseDir: string;
  readonly extra?: readonly string[];
}): Promise<CpProcess> {
  mkdirSync(o.dir, { recursive: true });
  const proc = spawn(
    process.execPath,
    [
      ...cpServeArgs({
        port: o.port,
        pki: o.pki,
        trustFile: o.trust.trustFile,
        db: join(o.dir, 'state.db'),
        releaseDir: o.releaseDir,
      }),
      '--artifact-freshness-minutes',
      '5256000',
      '--planning-warmup-secs',
      '86400',
      '--heartbeat-interval-secs',
      '1',
      '--long-poll-secs',
      '2',
      '--shutdown-deadline-secs',
      '2',
      '--log-level',
      'warn',
      ...(o.extra ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const metric = async (name: string, label = ''): Promise<number> => {
    const c = await connect(o.port, { ca: o.pki.caPem });
    try {
      const body = (await c.request('/metrics', { noProtocol: true })).body.toString();
      let total = 0;
      for (const m of body.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) {
        if ((m[1] ?? '').includes(label)) total += Number(m[2]);
      }
      return total;
    } finally {
      c.close();
    }
  };
  for (let i = 0; ; i++) {
    try {
      await metric('nixfleet_cp_dispatch_waiters');
      break;
    } catch {
      if (i > 150 || proc.exitCode !== null) throw new Error(`CP on ${o.port} did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    port: o.port,
    url: `https://127.0.0.1:${o.port}`,
    proc,
    exited,
    metric,
    async kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
