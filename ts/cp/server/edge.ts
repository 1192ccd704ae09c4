// The edge thread of the control plane: the HTTP/2 + TLS 1.3 front door,
// run in a worker thread so that TLS, HTTP/2 framing, body reads, JSON
// parsing and contract validation — most of a request's CPU and most of its
// garbage — stay off the thread that runs the mutator (measured at 10,000
// hosts: the event-ingest tail was that thread's GC and the TLS work of
// agents woken together). Owns the request pipeline every route goes
// through: connection and stream limits (conn-guard.ts) → path hygiene,
// route match, client-certificate identity and revocation (edge-checks.ts)
// → protocol header → content type, body bounds, event budget, JSON parse,
// contract validation and the drop of undeclared properties (edge-checks.ts,
// body-guard.ts); a request that passes is posted to the main thread
// (http.ts), which re-checks revocation against live state and runs the
// handler. HTTP/1.1 is negotiated for GET /metrics only (http1.ts). Must
// never let an exception escape (a bad request never crashes the CP), and
// never forward an mTLS route for an unverified peer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { MessagePort } from 'node:worker_threads';
import { compiledContracts, precompileContracts } from '../../contracts/index.ts';
import { CpError, isCpError } from '../errors.ts';
import type { RevocationRow } from '../storage/types.ts';
import { eventBudgets } from './body-guard.ts';
import { guardConnections } from './conn-guard.ts';
import { readCheckedBody, resolveRequest, type Resolved } from './edge-checks.ts';
import {
  caBundle,
  FORWARDED_CERT_HEADER,
  FORWARDED_FOR_HEADER,
  ForwardedCerts,
} from './forwarded.ts';
import { serveHttp1 } from './http1.ts';
import { checkProtocol, compile } from './routing.ts';
import type { EdgeInit, EdgeReply, EdgeToMain, LimitReport, MainToEdge } from './edge-protocol.ts';
import { LOOP_STALL_MS, watchLoopDelay } from './loop-delay.ts';

export { PROTOCOL_MAJOR } from './routing.ts';

/**
 * How often answered requests' latencies are sent to the main thread: they
 * feed the dispatch pacer's admission control as well as the metric, so
 * often enough for a 250 ms control step (about ten small messages a second).
 */
const TIMINGS_FLUSH_MS = 100;

function respond(
  stream: http2.ServerHttp2Stream,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | Uint8Array | undefined,
): void {
  if (stream.destroyed || stream.headersSent || stream.closed) return;
  try {
    stream.respond({ ...headers, ':status': status }, { endStream: body === undefined });
    if (body !== undefined) stream.end(body);
  } catch {
    // The stream closed under us; nothing to answer.
  }
}

/**
 * Runs the edge on `port` (the worker's parentPort): listens as `init` says
 * and reports `listening` or `listen-error`.
 */
export function runEdge(port: MessagePort, init: EdgeInit): void {
  const post = (m: EdgeToMain): void => port.postMessage(m);
  const table = compile(init.routes);
  const limits = init.limits;
  // Before the first request, not during it (see precompileContracts).
  precompileContracts(init.routes.flatMap((r) => (r.contract === undefined ? [] : [r.contract])));
  let revocations: ReadonlyMap<string, RevocationRow> = init.revocations;
  const forwarded = new ForwardedCerts(caBundle(init.clientCa));
  let shuttingDown = false;
  let nextId = 1;
  /** Requests posted to the main thread and not yet answered. */
  const pending = new Map<
    number,
    {
      readonly reply: (
        status: number,
        headers: Readonly<Record<string, string>>,
        body: string | Uint8Array | undefined,
      ) => void;
      readonly route: number;
      readonly t0: number;
    }
  >();
  /** Flat [route, ms] pairs not yet sent (see the `timings` message). */
  let samples: number[] = [];
  const flush = (): void => {
    if (samples.length === 0) return;
    post({ t: 'timings', samples });
    samples = [];
  };
  setInterval(flush, TIMINGS_FLUSH_MS).unref();
  watchLoopDelay({
    windowMs: init.loopWindowMs,
    stallMs: LOOP_STALL_MS,
    onWindow: (w) => post({ t: 'loop', ...w }),
    onStall: (ms) => post({ t: 'stall', ms }),
  });
  const sessions = new Set<http2.ServerHttp2Session>();

  // Buffers arrive structured-cloned as Uint8Arrays; TLS wants Buffers.
  const pem = (x: string | Uint8Array): string | Buffer =>
    typeof x === 'string' ? x : Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const server = http2.createSecureServer({
    cert: pem(init.cert),
    key: pem(init.key),
    ...(init.clientCa !== null ? { ca: pem(init.clientCa) } : {}),
    requestCert: init.clientCa !== null,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
    // Keys that outlive the process let a reconnect after a restart resume
    // (no certificate exchange or verification); the identity it resumes is
    // still checked for revocation and expiry on every request.
    ...(init.ticketKeys ? { ticketKeys: pem(init.ticketKeys) as Buffer } : {}),
    ...(init.sessionLifetimeSecs !== undefined ? { sessionTimeout: init.sessionLifetimeSecs } : {}),
    // For GET /metrics only (http1.ts); a stock scraper speaks HTTP/1.1.
    allowHTTP1: true,
    settings: { maxConcurrentStreams: 128 },
    maxSessionMemory: 16,
    handshakeTimeout: limits.handshakeTimeoutMs,
    unknownProtocolTimeout: limits.prefaceTimeoutMs,
  });
  const report = (r: LimitReport): void => post({ t: 'limit', ...r });
  const guard = guardConnections(server, limits, report);
  const chargeEvent = eventBudgets(limits);
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });
  server.on('sessionError', () => undefined);
  server.on('tlsClientError', () => undefined);
  // A client certificate that fails verification (another CA, bad signature)
  // leaves OpenSSL's error on this thread's error queue, and the next read of
  // a TLS socket on this thread then fails with it: the session dies with
  // "EVP lib" before its 401 is sent (25 of 40 foreign-CA requests in a
  // test). The edge thread does nothing but TLS, so no other crypto call
  // clears the queue; reading the peer certificate does, right after the
  // handshake and before any other socket reads.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized) socket.getPeerCertificate();
  });
  // Adding a 'request' listener makes Node's compatibility layer hook
  // 'stream' and wrap every HTTP/2 stream in request/response objects that
  // nothing here uses (a cost on every agent request); that hook is removed
  // below. HTTP/1.1 requests reach 'request' without it.
  const streamListeners = new Set(server.listeners('stream'));
  server.on('request', (request: unknown, response: unknown) => {
    const req = request as IncomingMessage;
    const res = response as ServerResponse;
    if (req.httpVersionMajor >= 2) return;
    const t0 = performance.now();
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (!guard.admitHttp1(req, res)) return;
    serveHttp1(req, res, {
      forward(method, rawPath, r, reply) {
        const socket = r.socket as TLSSocket;
        const { compiled, params, identity, path, query } = resolve(
          method,
          rawPath,
          socket,
          socket,
          r.headers[FORWARDED_CERT_HEADER],
          r.headers[FORWARDED_FOR_HEADER],
        );
        if (compiled.route.protocol) checkProtocol(r.headers);
        const id = nextId++;
        pending.set(id, { reply, route: compiled.index, t0 });
        res.on('close', () => {
          if (pending.delete(id)) post({ t: 'abort', id });
        });
        const plain: Record<string, string | string[] | undefined> = { ...r.headers };
        post({
          t: 'req',
          id,
          route: compiled.index,
          params,
          method,
          path,
          query,
          headers: plain,
          identity,
          body: undefined,
        });
      },
      refused: (route, status, code) => post({ t: 'refused', route, status, code }),
      internal: (route, e) =>
        post({
          t: 'log',
          level: 'error',
          msg: 'unhandled error in the edge',
          fields: { route, err: String((e as Error)?.stack ?? e) },
        }),
    });
  });
  for (const l of server.listeners('stream')) {
    if (!streamListeners.has(l)) server.removeListener('stream', l as (...a: unknown[]) => void);
  }
  server.on('stream', (stream, headers) => {
    const t0 = performance.now();
    stream.on('error', () => undefined);
    if (!guard.admit(stream)) return;
    let routeName = 'unmatched';
    let bodyUnread = false;
    front(
      stream,
      headers,
      t0,
      (name) => (routeName = name),
      (v) => (bodyUnread = v),
    ).catch((e: unknown) => {
      if (stream.closed || stream.destroyed) {
        // The client went away mid-request (reset, or closed during the
        // body): nobody to answer, nothing to log. 499 as nginx counts it.
        post({ t: 'refused', route: routeName, status: 499, code: 'CLIENT_CLOSED' });
        return;
      }
      const err = isCpError(e)
        ? e
        : new CpError('CP_ERR_INTERNAL', 'internal error', {}, { cause: e });
      if (!isCpError(e)) {
        post({
          t: 'log',
          level: 'error',
          msg: 'unhandled error in the edge',
          fields: { route: routeName, err: String((e as Error)?.stack ?? e) },
        });
      }
      const retry = err.details['retryAfterSecs'];
      respond(
        stream,
        err.status,
        {
          'content-type': 'application/json',
          ...(typeof retry === 'number' ? { 'retry-after': String(retry) } : {}),
        },
        JSON.stringify(err.toBody()),
      );
      post({ t: 'refused', route: routeName, status: err.status, code: err.code });
      // An oversize body left unread: reset the stream instead of draining it.
      if (bodyUnread && !stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
    });
  });

  const resolve = (
    method: string,
    rawPath: string,
    socket: TLSSocket | undefined,
    cacheKey: object,
    forwardedCert: string | string[] | undefined,
    forwardedFor: string | string[] | undefined,
    named?: (name: string) => void,
  ): Resolved =>
    resolveRequest(
      { table, revocations, shuttingDown, forwarded },
      {
        method,
        rawPath,
        socket,
        cacheKey,
        forwardedCert,
        forwardedFor,
        ...(named ? { named } : {}),
      },
    );

  async function front(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    t0: number,
    named: (name: string) => void,
    unread: (v: boolean) => void,
  ): Promise<void> {
    const rawPath = headers[':path'] ?? '/';
    const method = headers[':method'] ?? 'GET';
    const { compiled, params, identity, path, query } = resolve(
      method,
      rawPath,
      stream.session?.socket as TLSSocket | undefined,
      stream.session ?? stream,
      headers[FORWARDED_CERT_HEADER],
      headers[FORWARDED_FOR_HEADER],
      named,
    );
    const route = compiled.route;
    if (route.protocol) checkProtocol(headers);

    const body =
      method === 'POST'
        ? await readCheckedBody(stream, headers, route.contract, identity, {
            forwardedFor:
              typeof headers[FORWARDED_FOR_HEADER] === 'string'
                ? headers[FORWARDED_FOR_HEADER]
                : null,
            bodyLimitBytes: init.bodyLimitBytes,
            limits,
            report,
            chargeEvent,
            unread,
          })
        : undefined;
    if (stream.closed || stream.destroyed) return;
    const id = nextId++;
    pending.set(id, {
      reply: (status, h, b) => respond(stream, status, h, b),
      route: compiled.index,
      t0,
    });
    stream.on('close', () => {
      if (pending.delete(id)) post({ t: 'abort', id });
    });
    const plain: Record<string, string | string[] | undefined> = {};
    for (const k of Object.keys(headers)) if (!k.startsWith(':')) plain[k] = headers[k];
    const sock = stream.session?.socket;
    post({
      t: 'req',
      id,
      route: compiled.index,
      params,
      method,
      path,
      query,
      headers: plain,
      identity,
      body,
      peer: `${sock?.remoteAddress ?? '?'}:${sock?.remotePort ?? '?'}`,
    });
  }

  function answer(m: EdgeReply): void {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    p.reply(m.status, m.headers, m.body);
    samples.push(p.route, performance.now() - p.t0);
  }

  port.on('message', (m: MainToEdge) => {
    switch (m.t) {
      case 'res':
        answer(m);
        break;
      case 'revocations':
        revocations = m.rows;
        break;
      case 'shutting-down':
        shuttingDown = true;
        break;
      case 'close':
        server.close(() => {
          flush();
          post({ t: 'closed' });
        });
        break;
      case 'destroy-sessions':
        for (const s of sessions) s.destroy();
        break;
    }
  });

  server.once('error', (e: NodeJS.ErrnoException) => {
    post({ t: 'listen-error', code: e.code ?? 'EUNKNOWN', message: e.message });
  });
  // A deep accept queue: with Node's default (511) a reconnect storm overflows
  // it and the dropped handshakes retry on TCP's 1 s, 3 s, 7 s … backoff.
  server.listen(
    { port: init.listen.port, host: init.listen.host, backlog: init.listen.backlog },
    () => {
      const address = server.address();
      post({
        t: 'listening',
        port: typeof address === 'object' && address !== null ? address.port : 0,
        contracts: compiledContracts(),
      });
    },
  );
}
