// A real HTTP/2 client over TLS 1.3 with an optional client certificate,
// for tests and the load generator (node:http2, one session per identity).
import http2 from 'node:http2';
import type { SecureContext } from 'node:tls';

/** A response as tests read it. */
export interface H2Response {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** Options of one request. */
export interface H2RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** JSON-serialised unless a Buffer or string. */
  readonly body?: unknown;
  /** Omit the protocol header (it is sent by default). */
  readonly noProtocol?: boolean;
  readonly timeoutMs?: number;
}

/** One HTTP/2 session to the CP. */
export interface H2Client {
  request(path: string, options?: H2RequestOptions): Promise<H2Response>;
  close(): void;
  readonly session: http2.ClientHttp2Session;
}

/**
 * Connects to `https://127.0.0.1:<port>` trusting `ca`, presenting `cert`/`key` if given.
 *
 * @example const c = await connect(port, { ca, cert, key }); (await c.request('/v1/whoami')).json();
 */
export async function connect(
  port: number,
  tls: {
    readonly ca: string;
    readonly cert?: string;
    readonly key?: string;
    /** A prebuilt context (the load generator reuses one per agent across reconnects). */
    readonly secureContext?: SecureContext;
    /** A TLS session (ticket) to resume. */
    readonly session?: Buffer;
    /** Told each ticket the server sends (kept to resume a later connection). */
    readonly onSession?: (ticket: Buffer) => void;
  },
): Promise<H2Client> {
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ...(tls.secureContext
      ? { secureContext: tls.secureContext }
      : { ca: tls.ca, ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) }),
    servername: 'localhost',
    minVersion: 'TLSv1.3',
    ...(tls.session ? { session: tls.session } : {}),
  });
  if (tls.onSession) session.socket.on('session', tls.onSession);
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return {
    session,
    close: () => session.close(),
    request(path, o = {}) {
      return new Promise((resolve, reject) => {
        const headers: http2.OutgoingHttpHeaders = {
          ':method': o.method ?? (o.body === undefined ? 'GET' : 'POST'),
          ':path': path,
          ...(o.noProtocol ? {} : { 'x-nixfleet-protocol': '1' }),
          ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        };
        const req = session.request(headers);
        const chunks: Buffer[] = [];
        let status = 0;
        let resHeaders: http2.IncomingHttpHeaders = {};
        const timer = setTimeout(() => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          reject(new Error(`timeout on ${path}`));
        }, o.timeoutMs ?? 30_000);
        req.on('response', (h) => {
          status = Number(h[':status']);
          resHeaders = h;
        });
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks);
          resolve({
            status,
            headers: resHeaders,
            body,
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
        req.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        if (o.body !== undefined) {
          req.end(
            Buffer.isBuffer(o.body) || typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
          );
        } else req.end();
      });
    },
  };
}
