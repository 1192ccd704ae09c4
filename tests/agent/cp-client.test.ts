// The agent's HTTP/2 mTLS client against a hostile or broken control plane
// (real TLS 1.3 on loopback, test PKI from the CP kit): garbage bodies are
// typed protocol errors, 5xx are retried, 4xx are not, and the dispatch
// worker keeps running through all of it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpApi, H2Client, isAgentError, parseReplayFrom } from '../../ts/agent/index.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-agent-h2-'));
let pki: TestPki;
let server: Http2SecureServer;
let api: CpApi;
const seen: { path: string; protocol: unknown; cn: string | null }[] = [];
let answer: (path: string, stream: ServerHttp2Stream) => void = () => undefined;

beforeAll(async () => {
  pki = await makePki(dir);
  server = createSecureServer({
    cert: readFileSync(pki.serverCertFile),
    key: readFileSync(pki.serverKeyFile),
    ca: pki.caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    const sock = stream.session?.socket as unknown as {
      getPeerCertificate(): { subject?: { CN?: string } };
    };
    seen.push({
      path,
      protocol: headers['x-nixfleet-protocol'],
      cn: sock.getPeerCertificate().subject?.CN ?? null,
    });
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    stream.on('end', () => answer(path, stream));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const client = await pki.client('web-01');
  api = new CpApi(
    new H2Client({
      origin: `https://127.0.0.1:${port}`,
      tls: { ca: pki.caPem, cert: client.cert, key: client.key },
      agentVersion: '0.2.0',
      timeoutMs: 2_000,
    }),
    'web-01',
    1_000,
  );
});

afterAll(async () => {
  api.client.close();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const reply =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  (_: string, s: ServerHttp2Stream) => {
    if (s.closed || s.destroyed) return;
    s.respond({ ':status': status, 'content-type': 'application/json', ...headers });
    s.end(body);
  };

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isAgentError(e) ? e.code : 'other';
  }
}

describe('HTTP/2 mTLS client against a broken CP', () => {
  it('sends the protocol header over mTLS with the host certificate', async () => {
    answer = reply(204, '');
    expect(await api.pollDispatch()).toEqual({ kind: 'none' });
    expect(seen.at(-1)).toMatchObject({ protocol: '1', cn: 'web-01' });
    expect(seen.at(-1)?.path).toMatch(/^\/v1\/agent\/dispatch\?hostname=web-01&wait=1$/);
  });

  it('types garbage dispatch bodies as protocol errors', async () => {
    answer = reply(200, '<html>oops</html>');
    expect(await code(api.pollDispatch())).toBe('AGENT_ERR_CP_PROTOCOL');
    answer = reply(200, JSON.stringify({ kind: 'Dispatch', rollout_id: 'x' }));
    expect(await code(api.pollDispatch())).toBe('AGENT_ERR_CP_PROTOCOL');
    answer = reply(200, JSON.stringify({ kind: 'RunThis', command: 'rm -rf /' }));
    expect(await code(api.pollDispatch())).toBe('AGENT_ERR_CP_PROTOCOL');
    answer = reply(500, 'boom');
    expect(await code(api.pollDispatch())).toBe('AGENT_ERR_CP_STATUS');
  });

  it('times out a CP that never answers', async () => {
    answer = () => undefined;
    expect(await code(api.pollDispatch())).toBe('AGENT_ERR_CP_UNREACHABLE');
  }, 30_000);

  it('classifies event delivery: 2xx delivered, 5xx and 429 retried, other 4xx dropped', async () => {
    const ev = {
      kind: 'DispatchAck' as const,
      rollout_id: 'stable@abc',
      hostname: 'web-01',
      seq: 2,
      received_at: '2026-01-01T00:00:00Z',
      current_closure_at_dispatch: null,
    };
    answer = reply(204, '');
    expect(await api.postEvent(ev)).toEqual({ kind: 'delivered' });
    answer = reply(503, 'later');
    expect((await api.postEvent(ev)).kind).toBe('retry');
    // Over the host's event budget: the event is sound, it must not be dropped.
    answer = reply(429, 'slow down', { 'retry-after': '2' });
    expect((await api.postEvent(ev)).kind).toBe('retry');
    answer = reply(409, 'no');
    expect(await api.postEvent(ev)).toMatchObject({ kind: 'rejected', status: 409 });
  });

  it('reads the replay request of a heartbeat answer', async () => {
    answer = reply(200, '{}', { 'x-nixfleet-replay-from': 'stable@abc=4' });
    const r = await api.postHeartbeat({
      hostname: 'web-01',
      agent_version: '0.2.0',
      current_closure: null,
      uptime_secs: 1,
      last_event_seq_by_rollout: {},
      at: '2026-01-01T00:00:00Z',
    });
    expect([...(r.replay ?? [])]).toEqual([['stable@abc', 4]]);
    expect(r.abortedRollouts).toEqual([]);
    expect([...(parseReplayFrom('7') ?? [])]).toEqual([[null, 7]]);
    expect(parseReplayFrom('garbage')).toBeNull();
  });

  it('treats a manifest 503 as unavailable and refuses odd rollout ids without a request', async () => {
    answer = reply(503, '{}');
    expect(await api.fetchManifest('stable@abc')).toMatchObject({ kind: 'unavailable' });
    const before = seen.length;
    expect(await api.fetchManifest('../../etc@passwd')).toEqual({ kind: 'not-found' });
    expect(seen.length).toBe(before);
  });
});
