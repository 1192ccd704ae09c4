// TLS session resumption across a control-plane restart, with the real CP
// binary and the agent: the CP creates its ticket keys file (0600) on first
// start and reads it on the next, so the agent's reconnect after the
// restart resumes its session (no certificate exchange) and its requests
// are still authenticated as the host; with the file replaced, the next
// reconnect is a full handshake again.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig, startAgent, type RunningAgent } from '../../ts/agent/index.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';
import { makeTrust, writeRelease, type TestTrust } from '../cp/kit/release.ts';
import { makeHost } from './support/fleet.ts';
import { spawnCp, type CpProcess } from './support/cp-process.ts';
import { freePort, rfc3339, until } from './support/world.ts';

const HOST = 'web-01';
let dir: string;
let pki: TestPki;
let trust: TestTrust;
let releaseDir: string;
let cp: CpProcess | null = null;
let agent: RunningAgent | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-resume-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
  releaseDir = join(dir, 'release');
  writeRelease(releaseDir, trust, {
    hosts: [{ name: HOST, channel: 'stable', wave: 0 }],
    soakMinutes: [0],
    ciCommit: 'abcdef0123456789abcdef0123456789abcdef01',
    signedAt: rfc3339(Date.now()),
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await cp?.kill('SIGKILL').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS session resumption across a CP restart', () => {
  it('resumes with the kept ticket keys, and not after they were replaced', async () => {
    const port = await freePort();
    const cpDir = join(dir, 'cp');
    const start = (): Promise<CpProcess> => spawnCp({ dir: cpDir, port, pki, trust, releaseDir });
    cp = await start();
    const keys = join(cpDir, 'tls-ticket-keys');
    expect(statSync(keys).size).toBe(48);
    expect(statSync(keys).mode & 0o777).toBe(0o600);

    const work = join(dir, 'agent');
    mkdirSync(join(work, 'state', 'tls'), { recursive: true });
    const host = makeHost(work, HOST);
    const issued = await pki.client(HOST);
    writeFileSync(join(work, 'state', 'tls', 'client.crt'), issued.cert);
    writeFileSync(join(work, 'client.key'), issued.key, { mode: 0o600 });
    agent = await startAgent(
      parseAgentConfig(
        {
          controlPlaneUrl: `https://127.0.0.1:${port}`,
          machineId: HOST,
          trustFile: trust.trustFile,
          caCert: pki.caCertFile,
          clientKey: join(work, 'client.key'),
          stateDir: join(work, 'state'),
          sshHostKeyFile: host.keyFile,
          activationBackend: 'sandbox',
          heartbeatInterval: '1s',
          longPollTimeout: '2s',
          pollInterval: '1s',
          backoffBase: '200ms',
          backoffMax: '1s',
          reconnectSpread: '500ms',
        },
        {},
      ),
      { log: pino({ level: 'silent' }) },
    );
    const a = agent;
    const heartbeats = (): Promise<number> =>
      (cp as CpProcess).metric('nixfleet_cp_heartbeat_seconds_count').catch(() => 0);
    await until(async () => (await heartbeats()) >= 1, 15_000);
    expect(a.transport.handshakes()).toEqual({ full: 1, resumed: 0 });

    // Restarted on the same files: the reconnect resumes, and the resumed
    // session still speaks for the host (its heartbeats are accepted).
    await cp.kill('SIGTERM');
    cp = await start();
    await until(async () => (await heartbeats()) >= 2, 20_000);
    expect(a.transport.handshakes()).toEqual({ full: 1, resumed: 1 });

    // Rotated: the old tickets no longer open; a full handshake, then on.
    await cp.kill('SIGTERM');
    writeFileSync(keys, randomBytes(48), { mode: 0o600 });
    cp = await start();
    await until(async () => (await heartbeats()) >= 2, 20_000);
    expect(a.transport.handshakes()).toEqual({ full: 2, resumed: 1 });
  }, 120_000);
});
