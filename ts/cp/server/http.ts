// The HTTP/2 + TLS 1.3 front door. Owns the request pipeline every route goes
// through: path hygiene → route match → client-certificate identity and
// revocation → protocol header → content type, body limit, JSON parse and
// contract validation → handler → typed JSON errors. Must never let a
// handler exception escape (a bad request never crashes the CP), and never
// answer an mTLS route for an unverified peer.
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { precompileContracts, validateContract } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import { CpError, isCpError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import { peerIdentity, revocationOf, type PeerIdentity } from '../pki/identity.ts';
import type { RevocationRow } from '../storage/types.ts';
import type { Reply, RequestContext, Route } from './types.ts';

/** The protocol major this CP speaks. */
export const PROTOCOL_MAJOR = 1;

/** Options of {@link createCpServer}. */
export interface ServerOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** Client CA bundle; `null` disables client certificates (mTLS routes then answer 401). */
  readonly clientCa: string | Buffer | null;
  readonly routes: readonly Route[];
  readonly bodyLimitBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: CpMetrics;
  readonly revocations: () => ReadonlyMap<string, RevocationRow>;
  readonly shuttingDown: () => boolean;
}

/** A running server with its drain hooks. */
export interface CpServer {
  readonly server: http2.Http2SecureServer;
  /** Requests currently being handled. */
  inFlight(): number;
  /** Aborts every in-flight handler (long-polls end with 204). */
  abortAll(): void;
  /** Destroys every open session. */
  destroySessions(): void;
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
  readonly name: string;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const BAD_PATH = /(^|\/)\.\.?(\/|$)|\/\/|\\|%|[\u0000-\u001f\u007f]/;

function compile(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => ({
    route,
    segments: route.path.split('/').filter((s) => s !== ''),
    name: `${route.method} ${route.path}`,
  }));
}

function match(
  table: readonly CompiledRoute[],
  path: string,
): { routes: CompiledRoute[]; params: Record<string, string>[] } {
  const parts = path.split('/').filter((s) => s !== '');
  const routes: CompiledRoute[] = [];
  const params: Record<string, string>[] = [];
  for (const c of table) {
    if (c.segments.length !== parts.length) continue;
    const p: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i] as string;
      const part = parts[i] as string;
      if (seg.startsWith(':')) p[seg.slice(1)] = part;
      else if (seg !== part) {
        ok = false;
        break;
      }
    }
    if (ok) {
      routes.push(c);
      params.push(p);
    }
  }
  return { routes, params };
}

function checkProtocol(headers: http2.IncomingHttpHeaders): void {
  const v = headers['x-nixfleet-protocol'];
  if (v === undefined || v === '') {
    throw new CpError('CP_ERR_PROTOCOL_MISSING', 'X-Nixfleet-Protocol header is required', {
      expected: String(PROTOCOL_MAJOR),
    });
  }
  const text = Array.isArray(v) ? v.join(',') : v;
  const m = /^\s*(\d+)(\.\d+)*\s*$/.exec(text);
  if (!m || Number(m[1]) !== PROTOCOL_MAJOR) {
    throw new CpError('CP_ERR_PROTOCOL_UNSUPPORTED', `protocol ${text} is not supported`, {
      received: text.slice(0, 32),
      supported: [String(PROTOCOL_MAJOR)],
    });
  }
}

function readBody(req: http2.Http2ServerRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(
      new CpError('CP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`, { limit }),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        reject(new CpError('CP_ERR_BODY_TOO_LARGE', `body exceeds ${limit} bytes`, { limit }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks, size));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
    req.on('aborted', () => {
      if (!done) {
        done = true;
        reject(new Error('client aborted'));
      }
    });
  });
}

function parseJson(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new CpError(
      'CP_ERR_MALFORMED_JSON',
      'body is not valid JSON',
      { detail: (e as Error).message.slice(0, 200) },
      { cause: e },
    );
  }
}

function send(res: http2.Http2ServerResponse, reply: Reply): void {
  if (res.headersSent || res.writableEnded || res.stream.destroyed) return;
  const headers: Record<string, string | number> = { ...reply.headers };
  let body: Uint8Array | string | undefined;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    headers['content-type'] = 'application/json';
  } else if (reply.raw !== undefined) {
    body = reply.raw;
    headers['content-type'] = reply.contentType ?? 'application/octet-stream';
  }
  try {
    res.writeHead(reply.status, headers);
    if (body === undefined) res.end();
    else res.end(body);
  } catch {
    // The stream closed under us; nothing to answer.
  }
}

/**
 * Creates the secure HTTP/2 server (TLS 1.3 only; client certificates
 * requested on every connection, required per route).
 *
 * @example const s = createCpServer({ cert, key, clientCa, routes, ... }); s.server.listen(8443, '127.0.0.1');
 */
export function createCpServer(options: ServerOptions): CpServer {
  const table = compile(options.routes);
  // Before the first request, not during it (see precompileContracts).
  precompileContracts(
    options.routes.flatMap((r) => (r.contract === undefined ? [] : [r.contract])),
  );
  const { log, metrics } = options;
  const controllers = new Set<AbortController>();
  let inFlight = 0;
  /** Set by abortAll (shutdown): signals created later start aborted. */
  let abortingAll = false;
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({
    cert: options.cert,
    key: options.key,
    ...(options.clientCa !== null ? { ca: options.clientCa } : {}),
    requestCert: options.clientCa !== null,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
    allowHTTP1: false,
    settings: { maxConcurrentStreams: 128 },
    maxSessionMemory: 16,
  });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });
  server.on('sessionError', () => undefined);
  server.on('tlsClientError', () => undefined);

  server.on('request', (req, res) => {
    const started = performance.now();
    inFlight += 1;
    // Created on first use: only long-polls read the signal, and an
    // AbortController per request cost ~2 % of the CP's CPU under load.
    let ac: AbortController | null = null;
    let closed = false;
    const signal = (): AbortSignal => {
      if (ac === null) {
        ac = new AbortController();
        controllers.add(ac);
        if (closed || abortingAll) ac.abort();
      }
      return ac.signal;
    };
    let routeName = 'unmatched';
    let settled = false;
    let bodyUnread = false;
    const finish = (reply: Reply): void => {
      send(res, reply);
      metrics.httpRequests.inc({ route: routeName, status: String(reply.status) });
    };
    // Abort only handlers still running (abort() is not free: it builds a DOMException).
    req.on('close', () => {
      closed = true;
      if (!settled) ac?.abort();
    });
    handle()
      .then(finish, (e: unknown) => {
        if (isCpError(e)) {
          if (e.status >= 500) log.error({ err: e, route: routeName }, 'request failed');
          finish({ status: e.status, json: e.toBody() });
        } else {
          log.error({ err: e, route: routeName }, 'unhandled error in route');
          finish({
            status: 500,
            json: new CpError('CP_ERR_INTERNAL', 'internal error').toBody(),
          });
        }
      })
      .finally(() => {
        settled = true;
        inFlight -= 1;
        if (ac !== null) controllers.delete(ac);
        const ms = performance.now() - started;
        if (ms > 5_000 && routeName !== 'GET /v1/agent/dispatch') {
          log.warn({ route: routeName, ms }, 'slow request');
        }
        // An oversize body left unread: reset the stream instead of draining it.
        if (bodyUnread && !res.stream.destroyed) res.stream.close(http2.constants.NGHTTP2_CANCEL);
      });

    async function handle(): Promise<Reply> {
      const rawPath = req.headers[':path'] ?? '/';
      const q = rawPath.indexOf('?');
      const path = q === -1 ? rawPath : rawPath.slice(0, q);
      const query = new URLSearchParams(q === -1 ? '' : rawPath.slice(q + 1));
      if (!path.startsWith('/') || BAD_PATH.test(path) || path.length > 512) {
        throw new CpError('CP_ERR_BAD_PATH', 'malformed request path');
      }
      if (options.shuttingDown()) {
        throw new CpError('CP_ERR_SHUTTING_DOWN', 'the control plane is shutting down');
      }
      const found = match(table, path);
      if (found.routes.length === 0) throw new CpError('CP_ERR_NOT_FOUND', 'no such route');
      const idx = found.routes.findIndex((c) => c.route.method === req.method);
      if (idx === -1) {
        throw new CpError('CP_ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed here`, {
          allowed: found.routes.map((c) => c.route.method),
        });
      }
      const compiled = found.routes[idx] as CompiledRoute;
      const params = found.params[idx] as Record<string, string>;
      const route = compiled.route;
      routeName = compiled.name;

      let identity: PeerIdentity | null = null;
      if (route.auth === 'mtls') {
        // Cached per HTTP/2 session: one TLS connection, one verified peer.
        identity = peerIdentity(
          req.socket as unknown as TLSSocket,
          req.stream.session ?? req.socket,
        );
        if (identity === null) {
          metrics.authRefused.inc({ code: 'CP_ERR_CLIENT_CERT_REQUIRED' });
          throw new CpError(
            'CP_ERR_CLIENT_CERT_REQUIRED',
            'a client certificate issued by the fleet CA is required',
          );
        }
        const revoked = revocationOf(identity, options.revocations());
        if (revoked !== null) {
          metrics.authRefused.inc({ code: 'CP_ERR_CERT_REVOKED' });
          throw new CpError('CP_ERR_CERT_REVOKED', `certificate for ${identity.cn} is revoked`, {
            cn: identity.cn,
            revokedBefore: new Date(revoked.notBefore).toISOString(),
          });
        }
      }
      if (route.protocol) checkProtocol(req.headers);

      let body: unknown = undefined;
      if (req.method === 'POST') {
        const ct = String(req.headers['content-type'] ?? '');
        if (!/^application\/json\s*(;|$)/i.test(ct)) {
          throw new CpError(
            'CP_ERR_UNSUPPORTED_MEDIA_TYPE',
            'Content-Type must be application/json',
            { received: ct.slice(0, 64) },
          );
        }
        bodyUnread = true;
        const buf = await readBody(req, options.bodyLimitBytes);
        bodyUnread = false;
        body = parseJson(buf);
        if (route.contract !== undefined) {
          let result;
          try {
            result = validateContract(route.contract, body);
          } catch (e) {
            throw new CpError('CP_ERR_SCHEMA_INVALID', 'body could not be validated', {
              contract: route.contract,
              issues: [{ path: '(root)', message: (e as Error).message.slice(0, 200) }],
            });
          }
          if (!result.ok) {
            throw new CpError(
              'CP_ERR_SCHEMA_INVALID',
              `body does not match the ${route.contract} contract`,
              { contract: route.contract, issues: result.errors.slice(0, 20) },
            );
          }
        }
      }
      const ctx: RequestContext = {
        method: req.method,
        path,
        query,
        headers: req.headers,
        identity,
        body,
        get signal() {
          return signal();
        },
        receivedAt: options.clock.now(),
      };
      return route.handle(ctx, params);
    }
  });

  return {
    server,
    inFlight: () => inFlight,
    abortAll: () => {
      abortingAll = true;
      for (const c of controllers) c.abort();
    },
    destroySessions: () => {
      for (const s of sessions) s.destroy();
    },
  };
}
