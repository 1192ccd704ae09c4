// TLS session renewal of a long-lived connection, against the real CP
// binary: a connection receives session tickets only at its handshake, so a
// client that stays connected longer than the CP's session lifetime holds
// only expired tickets and pays a full handshake at its next reconnect
// (after a CP restart, the whole fleet at once). With renewal the client
// replaces a connection whose full handshake is older than its renewal age
// by one with a new full handshake (a resumed connection inherits the age of
// the handshake it resumes), so its tickets stay valid and the next
// reconnect is a resumption. The CP here issues sessions valid for 3 s; the
// client renews after 1 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2Session } from '../../ts/net/h2.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';
import { makeTrust, writeRelease, type TestTrust } from '../cp/kit/release.ts';
import { spawnCp, type CpProcess } from './support/cp-process.ts';
import { freePort, rfc3339 } from './support/world.ts';

const HOST = 'web-01';
let dir: string;
let pki: TestPki;
let trust: TestTrust;
let cp: CpProcess | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-renew-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
  writeRelease(join(dir, 'release'), trust, {
    hosts: [{ name: HOST, channel: 'stable', wave: 0 }],
    soakMinutes: [0],
    ciCommit: 'abcdef0123456789abcdef0123456789abcdef01',
    signedAt: rfc3339(Date.now()),
  });
  cp = await spawnCp({
    dir: join(dir, 'cp'),
    port: await freePort(),
    pki,
    trust,
    releaseDir: join(dir, 'release'),
    extra: ['--tls-session-lifetime-secs', '3'],
  });
}, 60_000);

afterAll(async () => {
  await cp?.kill('SIGKILL').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Keeps one client busy for 5 s (longer than the 3 s lifetime), then reconnects it once. */
async function longLivedThenReconnect(renewAfterMs: number | undefined): Promise<H2Session> {
  const c = cp as CpProcess;
  const issued = await pki.client(HOST);
  const s = new H2Session(
    c.url,
    { ca: pki.caPem, cert: issued.cert, key: issued.key },
    { resumeTls: true, ...(renewAfterMs !== undefined ? { renewAfterMs } : {}) },
  );
  const whoami = async (): Promise<void> => {
    const r = await s.request(
      { ':method': 'GET', ':path': '/v1/whoami', 'x-nixfleet-protocol': '1' },
      null,
      { timeoutMs: 5_000, maxBytes: 1 << 16 },
    );
    expect(r.status).toBe(200);
  };
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    await whoami();
    await sleep(250);
  }
  s.close(); // as after a CP restart: the next request reconnects
  await whoami();
  return s;
}

describe('TLS session renewal of a long-lived connection', () => {
  it('without renewal, the reconnect after the session lifetime is a full handshake', async () => {
    const s = await longLivedThenReconnect(undefined);
    expect(s.handshakes).toEqual({ full: 2, resumed: 0 });
    expect(s.renewals).toBe(0);
    s.close();
  }, 30_000);

  it('with renewal, connections are renewed by a full handshake and the reconnect resumes', async () => {
    const s = await longLivedThenReconnect(1_000);
    expect(s.renewals).toBeGreaterThanOrEqual(3);
    expect(s.handshakes).toEqual({ full: 1 + s.renewals, resumed: 1 });
    s.close();
  }, 30_000);
});
