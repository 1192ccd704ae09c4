// The agent's transport across control-plane URLs against real TLS 1.3
// HTTP/2 servers: a replica answering CP_ERR_NOT_LEADER and one whose
// certificate the fleet CA did not issue are both left for the next URL,
// the request is answered there, and later requests go straight to it. The
// servers are fixtures; the transport is the real one.
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../ts/agent/clock.ts';
import { FailoverClient } from '../../ts/agent/http/failover.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';

let dir: string;
let fleet: TestPki;
let foreign: TestPki;
const servers: http2.Http2SecureServer[] = [];
const hits = new Map<string, number>();

async function serve(
  name: string,
  pki: TestPki,
  answer: (s: http2.ServerHttp2Stream) => void,
): Promise<string> {
  const server = http2.createSecureServer({
    cert: readFileSync(pki.serverCertFile),
    key: readFileSync(pki.serverKeyFile),
    minVersion: 'TLSv1.3',
  });
  server.on('stream', (s) => {
    hits.set(name, (hits.get(name) ?? 0) + 1);
    answer(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'failover-client-'));
  mkdirSync(join(dir, 'fleet'));
  mkdirSync(join(dir, 'foreign'));
  fleet = await makePki(join(dir, 'fleet'));
  foreign = await makePki(join(dir, 'foreign'));
}, 30_000);

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = (origins: string[]): FailoverClient =>
  new FailoverClient({
    origins,
    tls: { ca: fleet.caPem, cert: null, key: null },
    agentVersion: 'test',
    timeoutMs: 5_000,
    clock: systemClock,
    random: () => 0.5,
    backoff: { baseMs: 100, maxMs: 1_000 },
    reconnectSpreadMs: 0,
    resumeTls: true,
  });

describe('FailoverClient', () => {
  it('leaves a not-leader replica and a foreign certificate for the next URL', async () => {
    const notLeader = await serve('not-leader', fleet, (s) => {
      s.respond({ ':status': 421, 'content-type': 'application/json' });
      s.end(JSON.stringify({ error: { code: 'CP_ERR_NOT_LEADER', message: 'follower' } }));
    });
    const impostor = await serve('impostor', foreign, (s) => {
      s.respond({ ':status': 204 });
      s.end();
    });
    const good = await serve('good', fleet, (s) => {
      s.respond({ ':status': 204 });
      s.end();
    });
    const c = client([notLeader, impostor, good]);
    const res = await c.request({ method: 'GET', path: '/v1/whoami' });
    expect(res.status).toBe(204);
    expect(c.origin).toBe(good);
    // The impostor's certificate failed verification: it never saw a request.
    expect(hits.get('impostor')).toBeUndefined();
    expect(hits.get('not-leader')).toBe(1);
    await c.request({ method: 'GET', path: '/v1/whoami' });
    expect(hits.get('good')).toBe(2);
    expect(hits.get('not-leader')).toBe(1);
    c.close();
  });

  it('hands the last failure to the caller when no URL answers, and stays put on a 4xx', async () => {
    const down = await serve('down', fleet, (s) => {
      s.respond({ ':status': 500 });
      s.end();
    });
    const refusing = await serve('refusing', fleet, (s) => {
      s.respond({ ':status': 403, 'content-type': 'application/json' });
      s.end(JSON.stringify({ error: { code: 'CP_ERR_FORBIDDEN', message: 'no' } }));
    });
    const c = client([refusing, down]);
    expect((await c.request({ method: 'GET', path: '/x' })).status).toBe(403);
    expect(c.origin).toBe(refusing);
    const only = client([down, `https://127.0.0.1:1`]);
    await expect(only.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'AGENT_ERR_CP_UNREACHABLE',
    });
    c.close();
    only.close();
  });
});
