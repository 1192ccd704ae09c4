// HTTP/1.1 on the edge's TLS port, for the one route a stock scraper needs:
// Prometheus (Go's client with HTTP/2 off, curl --http1.1) cannot speak
// HTTP/2 to /metrics. Every other route keeps HTTP/2 only — the agent and
// operator protocol, its stream limits and body guards assume it — and an
// HTTP/1.1 request to one is answered 426 CP_ERR_HTTP2_REQUIRED without
// reading its body, and the connection closed. Routes served here go
// through the same path hygiene, authorization row and revocation check as
// over HTTP/2 (edge.ts `resolve`); no route served here reads a body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CpError, isCpError } from '../errors.ts';

/** Routes served over HTTP/1.1 too ("METHOD /path"). */
export const HTTP1_ROUTES: ReadonlySet<string> = new Set(['GET /metrics']);

/** What the edge lends the HTTP/1.1 front. */
export interface Http1Deps {
  /** Resolves, authorizes and forwards the request to the main thread; throws a CpError to refuse. */
  forward(
    method: string,
    rawPath: string,
    req: IncomingMessage,
    reply: (
      status: number,
      headers: Readonly<Record<string, string>>,
      body?: string | Uint8Array,
    ) => void,
  ): void;
  /** A refusal answered at the edge, for the request counter. */
  refused(route: string, status: number, code: string): void;
  /** Logs an unexpected error. */
  internal(route: string, e: unknown): void;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | Uint8Array | undefined,
): void {
  if (res.headersSent || res.destroyed) return;
  try {
    res.writeHead(status, headers);
    res.end(body);
  } catch {
    // The connection closed under us; nothing to answer.
  }
}

/** Handles one HTTP/1.x request (HTTP/2 requests are the stream listener's). */
export function serveHttp1(req: IncomingMessage, res: ServerResponse, deps: Http1Deps): void {
  const method = req.method ?? 'GET';
  const rawPath = req.url ?? '/';
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const name = `${method} ${path}`;
  try {
    if (!HTTP1_ROUTES.has(name)) {
      throw new CpError(
        'CP_ERR_HTTP2_REQUIRED',
        `${name.slice(0, 80)} is served over HTTP/2 only; over HTTP/1.1 only ${[...HTTP1_ROUTES].join(', ')}`,
        { http1Routes: [...HTTP1_ROUTES] },
      );
    }
    deps.forward(method, rawPath, req, (status, headers, body) => send(res, status, headers, body));
  } catch (e) {
    const err = isCpError(e)
      ? e
      : new CpError('CP_ERR_INTERNAL', 'internal error', {}, { cause: e });
    if (!isCpError(e)) deps.internal(name, e);
    const close = err.code === 'CP_ERR_HTTP2_REQUIRED';
    send(
      res,
      err.status,
      {
        'content-type': 'application/json',
        ...(close ? { connection: 'close', upgrade: 'h2' } : {}),
      },
      JSON.stringify(err.toBody()),
    );
    deps.refused(HTTP1_ROUTES.has(name) ? name : 'unmatched', err.status, err.code);
  }
}
