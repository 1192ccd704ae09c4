// The edge thread (ts/cp/server/edge.ts) against the main-thread side
// (http.ts) over real TLS 1.3 with client certificates: handlers run on the
// CP's thread while the edge refuses bad input by itself, live revocations
// win over the edge's copy, a vanished client aborts its handler, and a dead
// edge is replaced on the same port.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../ts/cp/clock.ts';
import { silentLogger } from '../../ts/cp/log.ts';
import { CpMetrics } from '../../ts/cp/metrics.ts';
import { createCpServer, type CpServer } from '../../ts/cp/server/http.ts';
import type { LoopDelayWindow } from '../../ts/cp/server/loop-delay.ts';
import type { AccessTable } from '../../ts/cp/routes/access.ts';
import type { Route } from '../../ts/cp/server/types.ts';
import type { RevocationRow } from '../../ts/cp/storage/types.ts';
import { connect, type H2Client } from './kit/client.ts';
import { makePki, type TestPki } from './kit/pki.ts';

let dir: string;
let pki: TestPki;
let srv: CpServer;
let port: number;
let contracts: readonly string[];
const metrics = new CpMetrics();
let revocations: ReadonlyMap<string, RevocationRow> = new Map();
/** Every [route, ms] the servers reported through onTimed. */
const timed: [string, number][] = [];
/** Event-loop delay windows the edge reported. */
const edgeLoop: LoopDelayWindow[] = [];
/** Handler calls by route path. */
const calls = new Map<string, number>();
/** Resolves when a held handler's signal aborts. */
let holdAborted: Promise<void> = Promise.resolve();
let holdEntered: () => void = () => undefined;

const count = (path: string): void => void calls.set(path, (calls.get(path) ?? 0) + 1);
const calledTimes = (path: string): number => calls.get(path) ?? 0;
const metric = (name: string): string[] =>
  metrics
    .render()
    .split('\n')
    .filter((l) => l.startsWith(name));

const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/t/who',
    protocol: true,
    async handle(ctx) {
      count('/v1/t/who');
      return {
        status: 200,
        json: {
          cn: ctx.identity?.cn,
          threadId,
          rawIsBuffer: Buffer.isBuffer(ctx.identity?.raw),
          query: ctx.query.get('q'),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/t/hold',
    protocol: true,
    async handle(ctx) {
      count('/v1/t/hold');
      const signal = ctx.signal;
      holdAborted = new Promise((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      holdEntered();
      await holdAborted;
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/v1/t/echo',
    protocol: true,
    async handle(ctx) {
      count('/v1/t/echo');
      return { status: 200, json: ctx.body };
    },
  },
  {
    method: 'POST',
    path: '/v1/t/heartbeat',
    protocol: true,
    contract: 'heartbeat',
    async handle() {
      count('/v1/t/heartbeat');
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/t/raw',
    protocol: false,
    async handle() {
      count('/t/raw');
      return { status: 200, raw: Buffer.from([0, 1, 2, 255]) };
    },
  },
];

/** The suite's authorization table: any certificate on the /v1/t routes, anyone on /t/raw. */
const access: AccessTable = new Map(
  routes.map((r) => {
    const route = `${r.method} ${r.path}`;
    const row = r.path.startsWith('/v1/')
      ? ({ route, none: 'deny', agent: 'allow', operator: 'allow' } as const)
      : ({ route, none: 'allow', agent: 'allow', operator: 'allow' } as const);
    return [route, row];
  }),
);

async function client(cn: string): Promise<H2Client> {
  const { cert, key } = await pki.client(cn);
  return connect(port, { ca: pki.caPem, cert, key });
}

/** A server over the test routes (the suite's own, or another on the same PKI). */
function server(m: CpMetrics): CpServer {
  return createCpServer({
    cert: readFileSync(pki.serverCertFile),
    key: readFileSync(pki.serverKeyFile),
    clientCa: pki.caPem,
    routes,
    access,
    bodyLimitBytes: 1024,
    clock: systemClock,
    log: silentLogger(),
    metrics: m,
    revocations: () => revocations,
    shuttingDown: () => false,
    onTimed: (route, ms) => void timed.push([route, ms]),
    loopWindowMs: 100,
    onLoopDelay: (thread, w) => {
      if (thread === 'edge') edgeLoop.push(w);
    },
  });
}

/** Resolves once `port` accepts a TLS + HTTP/2 session again. */
async function serving(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const c = await client('h-001');
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('edge did not come back');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-edge-'));
  pki = await makePki(dir);
  srv = server(metrics);
  ({ port, contracts } = await srv.listen(0, '127.0.0.1', 64));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('edge thread', () => {
  it('compiles every route contract before accepting (no compile stall under load)', () => {
    expect(contracts).toContain('heartbeat');
  });

  it('runs handlers on the CP thread with the verified identity', async () => {
    const c = await client('h-001');
    const r = await c.request('/v1/t/who?q=x%20y');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ cn: 'h-001', threadId, rawIsBuffer: true, query: 'x y' });
    const raw = await c.request('/t/raw', { noProtocol: true });
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect([...raw.body]).toEqual([0, 1, 2, 255]);
    const echo = await c.request('/v1/t/echo', { body: { a: [1, 'two', null] } });
    expect(echo.json()).toEqual({ a: [1, 'two', null] });
    c.close();
  });

  it('reports the latency of each answered request as measured at the edge, by route', async () => {
    const c = await client('h-001');
    for (let i = 0; i < 3; i++) expect((await c.request('/v1/t/who')).status).toBe(200);
    c.close();
    const line = 'nixfleet_cp_request_seconds_count{route="GET /v1/t/who"}';
    // Wait for all three: an earlier test's sample may already have made the line exist.
    const seen = (): number => Number(metric(line)[0]?.split(' ').at(-1) ?? 0);
    for (let i = 0; i < 60 && seen() < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [count] = metric(line);
    expect(Number(count?.split(' ').at(-1))).toBeGreaterThanOrEqual(3);
    // Refused requests never reached a handler and are not timed.
    expect(metric('nixfleet_cp_request_seconds_count{route="GET /v1/t/nope"}')).toEqual([]);
    // The same samples reach onTimed (the dispatch pacer's ingest signal), within ~100 ms.
    const mine = timed.filter(([route]) => route === 'GET /v1/t/who');
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const [, ms] of mine) expect(ms).toBeGreaterThan(0);
  });

  it("reports the edge thread's event-loop delay every window", async () => {
    const before = edgeLoop.length;
    for (let i = 0; i < 50 && edgeLoop.length < before + 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(edgeLoop.length).toBeGreaterThanOrEqual(before + 2);
    const w = edgeLoop.at(-1) as LoopDelayWindow;
    expect(w.p50).toBeGreaterThanOrEqual(0);
    expect(w.p50).toBeLessThanOrEqual(w.p99);
    expect(w.p99).toBeLessThanOrEqual(w.max);
  });

  it('refuses bad input at the edge, with typed errors, before any handler', async () => {
    const c = await client('h-001');
    const before = calledTimes('/v1/t/heartbeat') + calledTimes('/v1/t/echo');
    const cases: [string, Parameters<H2Client['request']>[1], number, string][] = [
      ['/v1/t/nope', {}, 404, 'CP_ERR_NOT_FOUND'],
      ['/v1/t/../t/who', {}, 400, 'CP_ERR_BAD_PATH'],
      ['/v1/t/who', { noProtocol: true }, 400, 'CP_ERR_PROTOCOL_MISSING'],
      [
        '/v1/t/who',
        { headers: { 'x-nixfleet-protocol': '2' } },
        400,
        'CP_ERR_PROTOCOL_UNSUPPORTED',
      ],
      ['/v1/t/echo', { method: 'GET' }, 405, 'CP_ERR_METHOD_NOT_ALLOWED'],
      ['/v1/t/heartbeat', { body: {} }, 400, 'CP_ERR_SCHEMA_INVALID'],
      ['/v1/t/echo', { body: '{"a":' }, 400, 'CP_ERR_MALFORMED_JSON'],
      ['/v1/t/echo', { body: 'x'.repeat(2048) }, 413, 'CP_ERR_BODY_TOO_LARGE'],
      [
        '/v1/t/echo',
        { body: '{}', headers: { 'content-type': 'text/plain' } },
        415,
        'CP_ERR_UNSUPPORTED_MEDIA_TYPE',
      ],
    ];
    for (const [path, options, status, code] of cases) {
      const r = await c.request(path, options);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.json<{ error: { code: string } }>().error.code).toBe(code);
    }
    expect(calledTimes('/v1/t/heartbeat') + calledTimes('/v1/t/echo')).toBe(before);
    expect(
      metric('nixfleet_cp_http_requests_total{route="POST /v1/t/heartbeat",status="400"}'),
    ).toHaveLength(1);
    // The session survived every refusal.
    expect((await c.request('/v1/t/who')).status).toBe(200);
    c.close();
  });

  it('refuses mTLS routes without a client certificate', async () => {
    const c = await connect(port, { ca: pki.caPem });
    const r = await c.request('/v1/t/who');
    expect(r.status).toBe(401);
    expect(
      metric('nixfleet_cp_auth_refused_total{code="CP_ERR_CLIENT_CERT_REQUIRED"}'),
    ).toHaveLength(1);
    c.close();
  });

  it('answers 401 to certificates of another CA without hurting other sessions', async () => {
    mkdirSync(join(dir, 'other-ca'), { recursive: true });
    const other = await makePki(join(dir, 'other-ca'));
    const foreign = await other.client('h-001');
    const good = await client('h-002');
    for (let i = 0; i < 20; i++) {
      const c = await connect(port, { ca: pki.caPem, cert: foreign.cert, key: foreign.key });
      const r = await c.request('/v1/t/who');
      expect(r.status).toBe(401);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_CLIENT_CERT_REQUIRED');
      c.close();
      expect((await good.request('/v1/t/who')).status).toBe(200);
    }
    good.close();
  });

  it('applies a revocation adopted after the edge started, then teaches the edge', async () => {
    const c = await client('h-009');
    expect((await c.request('/v1/t/who')).status).toBe(200);
    const before = calledTimes('/v1/t/who');
    revocations = new Map([
      [
        'h-009',
        { hostname: 'h-009', notBefore: Date.now() + 3_600_000, reason: null, revokedBy: null },
      ],
    ]);
    for (let i = 0; i < 2; i++) {
      const r = await c.request('/v1/t/who');
      expect(r.status).toBe(403);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_CERT_REVOKED');
    }
    expect(calledTimes('/v1/t/who')).toBe(before);
    c.close();
  });

  it('aborts the handler of a client that went away', async () => {
    const c = await client('h-001');
    const entered = new Promise<void>((r) => (holdEntered = r));
    const pending = c.request('/v1/t/hold', { timeoutMs: 60_000 }).catch(() => null);
    await entered;
    c.session.destroy();
    await holdAborted;
    await pending;
  });

  it('replaces a dead edge on the same port and aborts what it held', async () => {
    const c = await client('h-001');
    const entered = new Promise<void>((r) => (holdEntered = r));
    const pending = c.request('/v1/t/hold', { timeoutMs: 60_000 }).catch(() => null);
    await entered;
    await srv.killEdge();
    await holdAborted;
    await pending;
    await serving();
    const again = await client('h-001');
    expect((await again.request('/v1/t/who')).status).toBe(200);
    again.close();
    expect(metric('nixfleet_cp_edge_restarts_total')).toHaveLength(1);
    expect(srv.inFlight()).toBe(0);
  });

  it('retries a replacement edge that cannot listen, and counts it', async () => {
    const m = new CpMetrics();
    const s = server(m);
    const { port: p } = await s.listen(0, '127.0.0.1', 64);
    await s.killEdge();
    // The port is taken while the edge is down (the 250 ms pause).
    const squatter = createNetServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(p, '127.0.0.1', () => resolve());
    });
    const refused = (): string[] =>
      m
        .render()
        .split('\n')
        .filter((l) =>
          l.startsWith('nixfleet_cp_edge_restarts_total{reason="listen-error EADDRINUSE"}'),
        );
    for (let i = 0; i < 100 && refused().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused()).toHaveLength(1);
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    const { cert, key } = await pki.client('h-001');
    let c: H2Client | null = null;
    for (let i = 0; i < 100 && c === null; i++) {
      c = await connect(p, { ca: pki.caPem, cert, key }).catch(() => null);
      if (c === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(c).not.toBeNull();
    expect((await c!.request('/v1/t/who')).status).toBe(200);
    c!.close();
    await s.close();
  });

  it('refuses to listen on a port in use, with a typed error', async () => {
    const other = server(new CpMetrics());
    await expect(other.listen(port, '127.0.0.1', 64)).rejects.toMatchObject({
      code: 'CP_ERR_START_FAILED',
      details: { code: 'EADDRINUSE' },
    });
    await other.close();
  });

  it('stops accepting once closed', async () => {
    const s = server(new CpMetrics());
    const { port: p } = await s.listen(0, '127.0.0.1', 64);
    const { cert, key } = await pki.client('h-001');
    const c = await connect(p, { ca: pki.caPem, cert, key });
    expect((await c.request('/v1/t/who')).status).toBe(200);
    c.close();
    await s.close();
    await expect(connect(p, { ca: pki.caPem, cert, key })).rejects.toThrow();
  });
});
