// A stand-in control plane for the CLI's unit tests: a real HTTP/2 + TLS 1.3
// server that demands a client certificate from the test CA and answers
// canned bodies per path. It checks the protocol header like the real CP.
// Integration against the real CP lives in tests/cli/real-cp.test.ts.
import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TestPki } from './pki.ts';

/** A canned answer: status plus a JSON value, or raw text. */
export interface Canned {
  readonly status?: number;
  readonly json?: unknown;
  readonly raw?: string;
  /** Delay before answering (timeouts). */
  readonly delayMs?: number;
}

/** Answers by path (without query); a function sees the query. */
export type Routes = Record<string, Canned | ((query: URLSearchParams) => Canned)>;

/** A running fake CP. */
export interface FakeCp {
  readonly url: string;
  /** Paths requested, with query, in order. */
  readonly requests: string[];
  /** Replaces the routes (a rollout moving on). */
  setRoutes(routes: Routes): void;
  close(): Promise<void>;
}

/**
 * Starts the fake CP on 127.0.0.1 with an ephemeral port.
 *
 * @example const cp = await startFakeCp(pki, { '/v1/hosts': { json: hosts } });
 */
export async function startFakeCp(pki: TestPki, routes: Routes): Promise<FakeCp> {
  let table = routes;
  const requests: string[] = [];
  const server: Http2SecureServer = createSecureServer({
    cert: readFileSync(pki.serverCert),
    key: readFileSync(pki.serverKey),
    ca: readFileSync(pki.caCert),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('stream', (stream, headers) => {
    const full = String(headers[':path'] ?? '/');
    requests.push(full);
    const url = new URL(full, 'https://x');
    const send = (c: Canned): void => {
      const body = c.raw ?? JSON.stringify(c.json ?? {});
      stream.respond({
        ':status': c.status ?? 200,
        'content-type': c.raw !== undefined ? 'text/plain' : 'application/json',
      });
      stream.end(body);
    };
    if (headers['x-nixfleet-protocol'] !== '1') {
      send({
        status: 400,
        json: {
          error: { code: 'CP_ERR_PROTOCOL', message: 'protocol header', status: 400, issues: [] },
        },
      });
      return;
    }
    const r = table[url.pathname];
    const c: Canned =
      r === undefined
        ? {
            status: 404,
            json: {
              error: {
                code: 'CP_ERR_NOT_FOUND',
                message: `no route ${url.pathname}`,
                status: 404,
                issues: [],
              },
            },
          }
        : typeof r === 'function'
          ? r(url.searchParams)
          : r;
    if (c.delayMs !== undefined) setTimeout(() => !stream.destroyed && send(c), c.delayMs);
    else send(c);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    setRoutes: (r) => {
      table = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Drop lingering sessions so close() resolves.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        setTimeout(resolve, 200);
      }),
  };
}
