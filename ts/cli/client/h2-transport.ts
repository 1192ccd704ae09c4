// The operator CLI's HTTP/2 + TLS 1.3 client: one multiplexed session to the
// control plane with the operator's client certificate, the protocol header
// on every request, per-request timeouts. Owns transport failures only (they
// become CLI_ERR_CP_UNREACHABLE); never interprets bodies — cp-client.ts does.
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { CliError } from '../errors.ts';

/** Protocol major version sent on every request (CONTRACTS.md). */
export const PROTOCOL_VERSION = '1';

/** Largest response body accepted (a 10,000-host /v1/hosts is ~5 MB). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A buffered HTTP response. */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Buffer;
}

/** Where and how to connect. */
export interface TransportOptions {
  /** `https://host:port`. */
  readonly cpUrl: string;
  /** Paths of the PEM files. */
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Sent as `X-Nixfleet-Cli-Version` (informational). */
  readonly version: string;
}

function readPem(path: string, what: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `cannot read the ${what} ${path}: ${(e as Error).message}`, {
      hint: `check ${flag} / the config file (\`nixfleet config show\`)`,
      context: { path },
      cause: e,
    });
  }
}

/** An HTTP/2 session to one control plane. */
export class H2Transport {
  readonly origin: string;
  private readonly options: TransportOptions;
  private readonly tls: { ca: string; cert: string; key: string };
  private session: ClientHttp2Session | null = null;

  /** Reads the TLS material now, so a missing file fails before any network I/O. */
  constructor(options: TransportOptions) {
    this.options = options;
    this.origin = options.cpUrl;
    this.tls = {
      ca: readPem(options.caCert, 'CA certificate', '--ca-cert'),
      cert: readPem(options.clientCert, 'client certificate', '--client-cert'),
      key: readPem(options.clientKey, 'client key', '--client-key'),
    };
  }

  private open(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = connect(this.origin, {
      ...this.tls,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    });
    const forget = (): void => {
      if (this.session === s) this.session = null;
    };
    s.on('error', forget);
    s.on('goaway', forget);
    s.on('close', forget);
    // The CLI must exit when its work is done, even with the session open.
    s.unref();
    this.session = s;
    return s;
  }

  /** Closes the session. */
  close(): void {
    const s = this.session;
    this.session = null;
    if (s && !s.destroyed) s.close();
  }

  /**
   * GETs a path and buffers the answer. Transport failures throw
   * CLI_ERR_CP_UNREACHABLE; any HTTP status is a value.
   *
   * @example const r = await t.get('/v1/hosts');
   */
  get(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<HttpResponse> {
    const timeoutMs = this.options.timeoutMs;
    return new Promise<HttpResponse>((resolvePromise, reject) => {
      const unreachable = (why: string, cause?: unknown): void =>
        reject(
          new CliError('CLI_ERR_CP_UNREACHABLE', `GET ${this.origin}${path}: ${why}`, {
            hint: hintFor(why),
            context: { cpUrl: this.origin, path },
            cause,
          }),
        );
      if (options.signal?.aborted) return unreachable('aborted');
      let session: ClientHttp2Session;
      try {
        session = this.open();
      } catch (e) {
        return unreachable((e as Error).message, e);
      }
      let stream: ReturnType<ClientHttp2Session['request']>;
      try {
        stream = session.request(
          {
            [constants.HTTP2_HEADER_METHOD]: 'GET',
            [constants.HTTP2_HEADER_PATH]: path,
            'x-nixfleet-protocol': PROTOCOL_VERSION,
            'x-nixfleet-cli-version': this.options.version,
            accept: 'application/json',
          },
          { endStream: true },
        );
      } catch (e) {
        this.close();
        return unreachable((e as Error).message, e);
      }
      let settled = false;
      let status = 0;
      let contentType: string | null = null;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        this.close();
        finish(() => unreachable(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(() => unreachable('aborted'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // A session-level failure (refused connection, TLS alert) reaches the
      // stream as an error too; the session's message is the informative one.
      const onSessionError = (e: Error): void => finish(() => unreachable(e.message, e));
      session.once('error', onSessionError);
      stream.on('response', (h) => {
        status = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
        const ct = h['content-type'];
        contentType = typeof ct === 'string' ? ct : null;
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          stream.close(constants.NGHTTP2_CANCEL);
          finish(() =>
            reject(
              new CliError(
                'CLI_ERR_CP_BAD_RESPONSE',
                `GET ${path}: answer larger than ${MAX_BODY_BYTES} bytes`,
                {
                  context: { path },
                },
              ),
            ),
          );
          return;
        }
        chunks.push(c);
      });
      const done = (): void => {
        session.off('error', onSessionError);
        if (status === 0) finish(() => unreachable('the stream closed before an answer'));
        else finish(() => resolvePromise({ status, contentType, body: Buffer.concat(chunks) }));
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', (e) => {
        session.off('error', onSessionError);
        finish(() => unreachable(e.message, e));
      });
    });
  }
}

function hintFor(why: string): string {
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(why)) {
    return 'is the control plane running, and is cp_url right? (`nixfleet config show`)';
  }
  if (/certificate|self.signed|unable to verify|alert|handshake|SSL|TLS/i.test(why)) {
    return 'TLS failed: ca_cert must be the fleet CA that signed the CP certificate, and client_cert/client_key an operator certificate from it (`nixfleet mint-operator-cert`)';
  }
  return 'check that the control plane is up and reachable from here';
}
