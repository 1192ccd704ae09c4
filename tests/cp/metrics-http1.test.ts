// /metrics over HTTP/1.1 on the CP's TLS port, as a stock Prometheus scrapes
// it: a real CP, a real HTTP/1.1 client (node:https, ALPN http/1.1 or none).
// /metrics keeps its row of the authorization table (open to every caller);
// every other route answers HTTP/1.1 with 426 CP_ERR_HTTP2_REQUIRED.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;
let operator: { cert: string; key: string };

beforeAll(async () => {
  t = await startTestCp();
  operator = await t.pki.client('operator:scraper');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

interface Http1Response {
  readonly status: number;
  readonly httpVersion: string;
  readonly alpn: string | false;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP/1.1 request over a fresh TLS connection. */
function get1(
  port: number,
  path: string,
  tls: { ca: string; cert?: string; key?: string; alpn?: string[] },
): Promise<Http1Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        servername: 'localhost',
        ca: tls.ca,
        ...(tls.cert !== undefined ? { cert: tls.cert, key: tls.key } : {}),
        ...(tls.alpn !== undefined ? { ALPNProtocols: tls.alpn } : {}),
        minVersion: 'TLSv1.3',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            httpVersion: res.httpVersion,
            alpn: (res.socket as TLSSocket).alpnProtocol ?? false,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

describe('/metrics over HTTP/1.1', () => {
  it('serves the exposition to an operator certificate over ALPN http/1.1', async () => {
    const r = await get1(t.port, '/metrics', { ca: t.pki.caPem, ...operator, alpn: ['http/1.1'] });
    expect(r.alpn).toBe('http/1.1');
    expect(r.httpVersion).toBe('1.1');
    expect(r.status).toBe(200);
    expect(String(r.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE nixfleet_cp_http_requests_total counter');
  });

  it('serves a client that sends no ALPN at all (Go clients with HTTP/2 disabled)', async () => {
    const r = await get1(t.port, '/metrics', { ca: t.pki.caPem, ...operator });
    expect(r.status).toBe(200);
    expect(r.body).toContain('nixfleet_cp_http_requests_total');
  });

  it('applies the same certificate rule as over HTTP/2 (GET /metrics is open)', async () => {
    const h2 = await (await t.anonymous()).request('/metrics');
    const h1 = await get1(t.port, '/metrics', { ca: t.pki.caPem, alpn: ['http/1.1'] });
    expect(h1.status).toBe(h2.status);
    expect(h1.status).toBe(200);
  });

  it('refuses every other route over HTTP/1.1 with 426 CP_ERR_HTTP2_REQUIRED', async () => {
    for (const path of ['/v1/hosts', '/healthz', '/nope', '/metrics/../v1/hosts']) {
      const r = await get1(t.port, path, { ca: t.pki.caPem, ...operator, alpn: ['http/1.1'] });
      expect(r.status, path).toBe(426);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'CP_ERR_HTTP2_REQUIRED' } });
    }
    // Over HTTP/2 the same certificate still reads the route.
    const h2 = await (await t.client('operator:scraper')).request('/v1/hosts');
    expect(h2.status).toBe(200);
  });
});
