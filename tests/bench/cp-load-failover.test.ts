// The cp-load generator's transport over real TLS to real HTTP/2 servers
// standing in for two replicas: a follower that refuses with
// CP_ERR_NOT_LEADER sends the agent on to the leader, where it stays; a
// dead URL is skipped the same way; when no URL serves, the failure comes
// back to the caller once per round. Answers and switches are counted per
// replica.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRouteCounts, FailoverH2Client } from '../../bench/cp-load/failover-client.ts';
import { freePort } from '../../bench/cp-load/measure.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';

let dir: string;
let pki: TestPki;
const servers: http2.Http2SecureServer[] = [];

/** A TLS HTTP/2 server answering every request with `status` and `body`; its port. */
async function serve(status: number, body: unknown): Promise<number> {
  const s = http2.createSecureServer({
    cert: readFileSync(pki.serverCertFile),
    key: readFileSync(pki.serverKeyFile),
  });
  s.on('stream', (stream) => {
    stream.respond({ ':status': status, 'content-type': 'application/json' });
    stream.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cp-load-failover-'));
  pki = await makePki(dir);
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOT_LEADER = { error: { code: 'CP_ERR_NOT_LEADER', details: { leader: null } } };

describe('cp-load failover transport', () => {
  it('moves from a refusing follower to the leader and stays there', async () => {
    const leader = await serve(200, { ok: true });
    const follower = await serve(503, NOT_LEADER);
    const counts = emptyRouteCounts(2);
    // Fleet order [leader, follower]; this agent has the follower first.
    const t = new FailoverH2Client([follower, leader], [1, 0], { ca: pki.caPem }, counts);
    await t.open();
    for (let i = 0; i < 3; i++) expect((await t.request('/v1/agent/heartbeat')).status).toBe(200);
    expect(counts).toEqual({ answered: [3, 1], notLeader: [0, 1], failovers: 1, exhausted: 0 });
    t.destroy();
  });

  it('skips a URL nobody listens on', async () => {
    const leader = await serve(200, { ok: true });
    const dead = await freePort();
    const counts = emptyRouteCounts(2);
    const t = new FailoverH2Client([dead, leader], [1, 0], { ca: pki.caPem }, counts);
    expect((await t.request('/v1/agent/heartbeat')).status).toBe(200);
    expect(counts).toEqual({ answered: [1, 0], notLeader: [0, 0], failovers: 1, exhausted: 0 });
    t.destroy();
  });

  it('hands the last failure back when every URL refuses, once per round', async () => {
    const a = await serve(503, NOT_LEADER);
    const b = await serve(503, NOT_LEADER);
    const counts = emptyRouteCounts(2);
    const t = new FailoverH2Client([a, b], [0, 1], { ca: pki.caPem }, counts);
    expect((await t.request('/v1/agent/heartbeat')).status).toBe(503);
    expect(counts).toEqual({ answered: [1, 1], notLeader: [1, 1], failovers: 2, exhausted: 1 });
    t.destroy();
  });
});
