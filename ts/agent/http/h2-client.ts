// The agent's HTTP/2 + TLS 1.3 client (RFC-0003 §3). Owns one multiplexed
// session to the control plane (reconnected on error or GOAWAY), mTLS
// credentials (swappable after renewal), the protocol headers and
// per-request timeouts. Must never interpret bodies: cp-api.ts does.
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { AgentError } from '../errors.ts';

/** TLS material as PEM text (read from files by the caller). */
export interface TlsMaterial {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
}

/** A complete HTTP response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly accept?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Protocol major version sent on every request (CONTRACTS.md). */
export const PROTOCOL_VERSION = '1';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** HTTP/2 client bound to one control-plane origin. */
export class H2Client {
  readonly origin: string;
  private tls: TlsMaterial;
  private session: ClientHttp2Session | null = null;
  private readonly agentVersion: string;
  private readonly defaultTimeoutMs: number;

  constructor(options: {
    readonly origin: string;
    readonly tls: TlsMaterial;
    readonly agentVersion: string;
    readonly timeoutMs: number;
  }) {
    this.origin = options.origin;
    this.tls = options.tls;
    this.agentVersion = options.agentVersion;
    this.defaultTimeoutMs = options.timeoutMs;
  }

  /** Swaps the client certificate (after renewal); the next request reconnects. */
  setTls(tls: TlsMaterial): void {
    this.tls = tls;
    this.close();
  }

  private open(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = connect(this.origin, {
      ...(this.tls.ca !== null ? { ca: this.tls.ca } : {}),
      ...(this.tls.cert !== null ? { cert: this.tls.cert } : {}),
      ...(this.tls.key !== null ? { key: this.tls.key } : {}),
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    });
    s.on('error', () => {
      if (this.session === s) this.session = null;
    });
    s.on('goaway', () => {
      if (this.session === s) this.session = null;
    });
    s.on('close', () => {
      if (this.session === s) this.session = null;
    });
    s.unref();
    this.session = s;
    return s;
  }

  /** Closes the session (in-flight streams are cancelled). */
  close(): void {
    const s = this.session;
    this.session = null;
    if (s && !s.destroyed) s.destroy();
  }

  /**
   * Sends a request and buffers the response. Network failures, TLS
   * failures and timeouts throw `AGENT_ERR_CP_UNREACHABLE`; any HTTP status
   * is a value.
   */
  request(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<HttpResponse>((resolve, reject) => {
      const unreachable = (why: string, cause?: unknown): void =>
        reject(
          new AgentError('AGENT_ERR_CP_UNREACHABLE', `${req.method} ${req.path}: ${why}`, {
            cause,
            context: { path: req.path },
          }),
        );
      if (req.signal?.aborted) return unreachable('aborted');
      let session: ClientHttp2Session;
      try {
        session = this.open();
      } catch (e) {
        return unreachable((e as Error).message, e);
      }
      const body = req.body === undefined ? null : Buffer.from(JSON.stringify(req.body), 'utf8');
      const headers: Record<string, string> = {
        [constants.HTTP2_HEADER_METHOD]: req.method,
        [constants.HTTP2_HEADER_PATH]: req.path,
        'x-nixfleet-protocol': PROTOCOL_VERSION,
        'x-nixfleet-agent-version': this.agentVersion,
        accept: req.accept ?? 'application/json',
      };
      if (body !== null) headers['content-type'] = 'application/json';
      let stream;
      try {
        stream = session.request(headers, { endStream: body === null });
      } catch (e) {
        this.close();
        return unreachable((e as Error).message, e);
      }
      let settled = false;
      const chunks: Buffer[] = [];
      let size = 0;
      let status = 0;
      let resHeaders: IncomingHttpHeaders = {};
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(() => unreachable(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(() => unreachable('aborted'));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('response', (h) => {
        resHeaders = h;
        status = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          stream.close(constants.NGHTTP2_CANCEL);
          finish(() => unreachable(`response larger than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () =>
        finish(() => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) })),
      );
      stream.on('error', (e) => {
        finish(() => unreachable(e.message, e));
      });
      stream.on('close', () => {
        if (!settled && status !== 0) {
          finish(() => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) }));
        } else finish(() => unreachable('stream closed before a response'));
      });
      if (body !== null) stream.end(body);
    });
  }
}
