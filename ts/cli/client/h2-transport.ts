// The operator CLI's HTTP/2 + TLS 1.3 client: one multiplexed session to the
// control plane with the operator's client certificate, the protocol header
// on every request, per-request timeouts. Owns transport failures only (they
// become CLI_ERR_CP_UNREACHABLE); never interprets bodies — cp-client.ts does.
import { readFileSync } from 'node:fs';
import { constants } from 'node:http2';
import { H2Session, H2TransportError } from '../../net/h2.ts';
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
  private readonly session: H2Session;

  /** Reads the TLS material now, so a missing file fails before any network I/O. */
  constructor(options: TransportOptions) {
    this.options = options;
    this.origin = options.cpUrl;
    this.session = new H2Session(options.cpUrl, {
      ca: readPem(options.caCert, 'CA certificate', '--ca-cert'),
      cert: readPem(options.clientCert, 'client certificate', '--client-cert'),
      key: readPem(options.clientKey, 'client key', '--client-key'),
    });
  }

  /** Closes the session (in-flight requests finish). */
  close(): void {
    this.session.close(true);
  }

  /**
   * GETs a path and buffers the answer. Transport failures throw
   * CLI_ERR_CP_UNREACHABLE (an oversized answer CLI_ERR_CP_BAD_RESPONSE);
   * any HTTP status is a value.
   *
   * @example const r = await t.get('/v1/hosts');
   */
  async get(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<HttpResponse> {
    try {
      const r = await this.session.request(
        {
          [constants.HTTP2_HEADER_METHOD]: 'GET',
          [constants.HTTP2_HEADER_PATH]: path,
          'x-nixfleet-protocol': PROTOCOL_VERSION,
          'x-nixfleet-cli-version': this.options.version,
          accept: 'application/json',
        },
        null,
        {
          timeoutMs: this.options.timeoutMs,
          maxBytes: MAX_BODY_BYTES,
          // An operator's stalled session is not worth keeping.
          dropSessionOnTimeout: true,
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        },
      );
      const ct = r.headers['content-type'];
      return { status: r.status, contentType: typeof ct === 'string' ? ct : null, body: r.body };
    } catch (e) {
      if (e instanceof H2TransportError && e.reason === 'too-large') {
        throw new CliError(
          'CLI_ERR_CP_BAD_RESPONSE',
          `GET ${path}: answer larger than ${MAX_BODY_BYTES} bytes`,
          {
            context: { path },
          },
        );
      }
      const why =
        e instanceof H2TransportError && e.reason === 'timeout'
          ? `no answer within ${this.options.timeoutMs} ms`
          : e instanceof Error
            ? e.message
            : String(e);
      throw new CliError('CLI_ERR_CP_UNREACHABLE', `GET ${this.origin}${path}: ${why}`, {
        hint: hintFor(why),
        context: { cpUrl: this.origin, path },
        cause: e,
      });
    }
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
