// CPU and connection exhaustion (issue #20, finding 6) against a real CP over
// TLS 1.3, with raw net/tls/http2 clients: deeply nested JSON, slowloris with
// and without a client certificate, bare TCP, TLS without the HTTP/2 preface,
// more connections and streams than one identity may hold. Every limit cuts
// within its (shortened) timeout, counts its reason and logs the peer, while
// a legitimate agent's heartbeats keep being answered (latencies printed).
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { captureLog, counter, heartbeatProbe, slowPost, timeUntil } from './kit/abuse.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'f1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
let t: TestCp;
const { log, lines } = captureLog();

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([4]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
    flags: {
      tlsHandshakeTimeoutSecs: '0.5',
      prefaceTimeoutSecs: '0.5',
      idleTimeoutSecs: '2',
      bodyIdleTimeoutSecs: '0.4',
      bodyTimeoutSecs: '1.2',
      maxConnsPerIdentity: '4',
      maxConnsPerAddress: '8',
      maxStreamsPerIdentity: '16',
    },
    log,
  });
});
afterAll(async () => {
  await t.close();
});

/** An HTTP/2 session as `cn` (or without a certificate), not cached. */
async function session(cn: string | null, wait = true): Promise<http2.ClientHttp2Session> {
  const id = cn === null ? {} : await t.pki.client(cn);
  const s = http2.connect(`https://127.0.0.1:${t.port}`, {
    ca: t.pki.caPem,
    ...id,
    servername: 'localhost',
    minVersion: 'TLSv1.3',
  });
  s.on('error', () => undefined);
  if (!wait) return s;
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

/** A valid heartbeat of h-000 carrying an extra property nested `n` deep. */
const nested = (n: number): string => {
  const hb = JSON.stringify({
    hostname: 'h-000',
    agent_version: '0.2.0',
    current_closure: null,
    uptime_secs: 1,
    last_event_seq_by_rollout: {},
    at: rfc3339(),
  });
  return `${hb.slice(0, -1)},"x":${'['.repeat(n)}${']'.repeat(n)}}`;
};

describe('CPU and connection exhaustion', () => {
  it('measures the legitimate heartbeat latency without abuse (baseline)', async () => {
    const probe = await heartbeatProbe(t, 'h-003');
    await new Promise((r) => setTimeout(r, 1000));
    const { latencies, failures } = await probe.stop('baseline');
    expect(failures).toEqual([]);
    expect(latencies.length).toBeGreaterThan(3);
  });

  it('refuses deeply nested JSON before parsing it, quickly, 800 times over', async () => {
    const probe = await heartbeatProbe(t, 'h-003');
    const c = await t.client('h-000');
    const t0 = performance.now();
    const deep = await c.request('/v1/agent/heartbeat', { body: nested(5000), timeoutMs: 3000 });
    console.log(
      `5,000-deep body answered ${deep.status} in ${(performance.now() - t0).toFixed(1)} ms`,
    );
    expect(deep.status).toBe(400);
    expect(deep.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_JSON_TOO_DEEP');
    const huge = await c.request('/v1/agent/heartbeat', { body: nested(100_000), timeoutMs: 3000 });
    expect([400, 413]).toContain(huge.status);
    // 800 from one host, 8 at a time (its stream cap is 16).
    const t1 = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const batch = await Promise.all(
        Array.from({ length: 8 }, () =>
          c.request('/v1/agent/heartbeat', { body: nested(5000), timeoutMs: 3000 }),
        ),
      );
      statuses.push(...batch.map((r) => r.status));
    }
    console.log(`800 deep heartbeats answered in ${(performance.now() - t1).toFixed(0)} ms`);
    expect(statuses.filter((s) => s !== 400)).toEqual([]);
    const { latencies, failures } = await probe.stop('800 deep bodies');
    expect(failures).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });

  it('cuts slow bodies (slowloris) with and without a client certificate', async () => {
    const probe = await heartbeatProbe(t, 'h-003');
    const before = await counter(t, 'nixfleet_cp_streams_refused_total{reason="body-timeout"}');
    const runs: Promise<{ outcome: number | 'reset'; ms: number }>[] = [];
    const sessions: http2.ClientHttp2Session[] = [];
    for (const [cn, path] of [
      ['h-001', '/v1/agent/heartbeat'],
      [null, '/v1/enroll'],
    ] as const) {
      for (let k = 0; k < 4; k++) {
        const s = await session(cn);
        sessions.push(s);
        for (let i = 0; i < 4; i++) runs.push(slowPost(s, path, 200, 4000));
      }
    }
    const results = await Promise.all(runs);
    for (const s of sessions) s.destroy();
    const worst = Math.max(...results.map((r) => r.ms));
    console.log(`32 slow streams all cut within ${worst.toFixed(0)} ms`);
    expect(results.filter((r) => r.outcome !== 408)).toEqual([]);
    expect(worst).toBeLessThan(3000);
    expect(
      await counter(t, 'nixfleet_cp_streams_refused_total{reason="body-timeout"}'),
    ).toBeGreaterThanOrEqual(before + 32);
    // A stalled body (no byte for longer than the idle timeout) is cut sooner.
    const stalled = await slowPost(await session('h-000'), '/v1/agent/heartbeat', 60_000, 3000);
    expect(stalled.outcome).toBe(408);
    expect(stalled.ms).toBeLessThan(1000);
    const { latencies, failures } = await probe.stop('slowloris');
    expect(failures).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(2000);
    const line = lines.find((l) => l['reason'] === 'body-timeout');
    expect(line).toMatchObject({ msg: 'request cut by a limit' });
    expect(String(line?.['peer'])).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('closes a bare TCP connection, TLS without the HTTP/2 preface, and HTTP/1.1 without a request', async () => {
    const probe = await heartbeatProbe(t, 'h-003');
    const bare = net.connect(t.port, '127.0.0.1');
    bare.on('error', () => undefined);
    const bareMs = await timeUntil(bare, 'close', 3000, 'bare TCP');
    const { cert, key } = await t.pki.client('h-000');
    const quiet = tls.connect({
      port: t.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: t.pki.caPem,
      cert,
      key,
      ALPNProtocols: ['h2'],
    });
    quiet.on('error', () => undefined);
    quiet.resume(); // the server's SETTINGS must be read for 'close' to follow its end
    await timeUntil(quiet, 'secureConnect', 3000);
    const quietMs = await timeUntil(quiet, 'close', 3000, 'TLS without preface');
    const noAlpn = tls.connect({
      port: t.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: t.pki.caPem,
    });
    noAlpn.on('error', () => undefined);
    noAlpn.resume();
    // No ALPN is HTTP/1.1 (GET /metrics for a stock scraper): same deadline.
    const noAlpnMs = await timeUntil(noAlpn, 'close', 3000, 'HTTP/1.1 without a request');
    // HTTP/1.1 request headers that never complete (slowloris on the scrape port).
    const trickle = tls.connect({
      port: t.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: t.pki.caPem,
      ALPNProtocols: ['http/1.1'],
    });
    trickle.on('error', () => undefined);
    trickle.resume();
    await timeUntil(trickle, 'secureConnect', 3000);
    trickle.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n');
    const trickleMs = await timeUntil(trickle, 'close', 3000, 'HTTP/1.1 headers never complete');
    expect(trickleMs).toBeLessThan(2000);
    // The preface and SETTINGS, then no request.
    const silent = await session('h-000');
    const silentMs = await timeUntil(silent, 'close', 3000, 'HTTP/2 without a request');
    console.log(
      `bare TCP closed after ${bareMs.toFixed(0)} ms, TLS without preface after ${quietMs.toFixed(0)} ms, HTTP/1.1 without a request after ${noAlpnMs.toFixed(0)} ms, HTTP/2 without a request after ${silentMs.toFixed(0)} ms`,
    );
    expect(silentMs).toBeLessThan(2000);
    expect(bareMs).toBeLessThan(2000);
    expect(quietMs).toBeLessThan(2000);
    expect(noAlpnMs).toBeLessThan(2000);
    for (const reason of ['tls-handshake-timeout', 'preface-timeout', 'headers-timeout']) {
      expect(
        await counter(t, `nixfleet_cp_connections_closed_total{reason="${reason}"}`),
      ).toBeGreaterThanOrEqual(1);
      expect(lines.some((l) => l['reason'] === reason && typeof l['peer'] === 'string')).toBe(true);
    }
    const { latencies, failures } = await probe.stop('bare TCP / no preface');
    expect(failures).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });

  it('caps connections and concurrent streams per identity', async () => {
    const mine = await Promise.all([0, 1, 2, 3, 4, 5].map(() => session('h-002', false)));
    // Each asks once: four are served, the two over the cap were closed.
    const served = await Promise.all(
      mine.map(
        (s) =>
          new Promise<boolean>((resolve) => {
            try {
              const r = s.request({ ':path': '/healthz' });
              r.on('response', () => resolve(true));
              r.on('data', () => undefined);
              r.on('error', () => resolve(false));
              r.on('close', () => resolve(false));
              r.end();
            } catch {
              resolve(false);
            }
          }),
      ),
    );
    expect(served.filter((x) => x).length).toBe(4);
    for (const s of mine) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(
      await counter(t, 'nixfleet_cp_connections_closed_total{reason="connection-cap"}'),
    ).toBeGreaterThanOrEqual(2);
    // 20 slow streams on one connection: 16 are served (and cut by the body
    // timeout), the rest refused at once.
    const s = await session('h-002');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => slowPost(s, '/v1/agent/heartbeat', 200, 4000)),
    );
    s.destroy();
    expect(results.filter((r) => r.outcome === 408).length).toBe(16);
    expect(results.filter((r) => r.outcome === 'reset').length).toBe(4);
    expect(
      await counter(t, 'nixfleet_cp_streams_refused_total{reason="stream-cap"}'),
    ).toBeGreaterThanOrEqual(4);
  });

  it('closes idle connections but keeps a long-poll for its full hold', async () => {
    const idle = await session('h-001');
    const r = idle.request({ ':path': '/healthz' });
    r.on('data', () => undefined);
    r.end();
    const idleMs = await timeUntil(idle, 'close', 5000);
    expect(idleMs).toBeGreaterThan(1500);
    // An HTTP/1.1 keep-alive connection after its scrape: the same idle deadline.
    const scrape = tls.connect({
      port: t.port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: t.pki.caPem,
      ALPNProtocols: ['http/1.1'],
    });
    scrape.on('error', () => undefined);
    await timeUntil(scrape, 'secureConnect', 3000);
    let answer = '';
    scrape.on('data', (c: Buffer) => (answer += c.toString()));
    scrape.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const scrapeMs = await timeUntil(scrape, 'close', 5000, 'HTTP/1.1 idle after a scrape');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(scrapeMs).toBeGreaterThan(1500);
    const agent = new SimAgent('h-001', await t.client('h-001'));
    const t0 = performance.now();
    expect(await agent.poll(4)).toBeNull();
    const held = performance.now() - t0;
    console.log(
      `idle connection closed after ${idleMs.toFixed(0)} ms; long-poll held ${held.toFixed(0)} ms`,
    );
    expect(held).toBeGreaterThan(3100);
  });
});
