// The operator CLI's HTTP/2 + TLS 1.3 client: one multiplexed session to the
// control plane with the operator's client certificate, the protocol header
// on every request, per-request timeouts. Owns transport failures only (they
// become CLI_ERR_CP_UNREACHABLE); never interprets bodies — cp-client.ts does.
import { readFileSync } from 'node:fs';
import { constants } from 'node:http2';
import { formatDuration } from '../../core/duration.ts';
import { H2Session, H2TransportError } from '../../net/h2.ts';
import { transportReason } from './transport-reason.ts';
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
  get(path: string, options: { readonly signal?: AbortSignal } = {}): Promise<HttpResponse> {
    return this.send('GET', path, null, options);
  }

  /**
   * POSTs a JSON body and buffers the answer; failures as {@link get}.
   *
   * @example const r = await t.post('/v1/rollouts/stable@ab12/actions', { action: 'pause', reason: 'db migration' });
   */
  post(
    path: string,
    json: unknown,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    return this.send('POST', path, Buffer.from(JSON.stringify(json)), options);
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body: Buffer | null,
    options: { readonly signal?: AbortSignal },
  ): Promise<HttpResponse> {
    try {
      const r = await this.session.request(
        {
          [constants.HTTP2_HEADER_METHOD]: method,
          [constants.HTTP2_HEADER_PATH]: path,
          'x-nixfleet-protocol': PROTOCOL_VERSION,
          'x-nixfleet-cli-version': this.options.version,
          accept: 'application/json',
          ...(body === null ? {} : { 'content-type': 'application/json' }),
        },
        body,
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
          `${method} ${path}: answer larger than ${MAX_BODY_BYTES} bytes`,
          {
            context: { path },
          },
        );
      }
      if (e instanceof H2TransportError && e.reason === 'timeout') {
        throw new CliError(
          'CLI_ERR_CP_UNREACHABLE',
          `control plane at ${this.origin} gave no answer within ${formatDuration(this.options.timeoutMs)} (${method} ${path})`,
          {
            hint: 'the control plane is overloaded or the network drops packets; retry, or raise --timeout',
            context: { cpUrl: this.origin, path },
            cause: e,
          },
        );
      }
      const { why, hint } = transportReason(e);
      throw new CliError(
        'CLI_ERR_CP_UNREACHABLE',
        `control plane not reachable at ${this.origin}: ${why} (${method} ${path})`,
        { hint, context: { cpUrl: this.origin, path }, cause: e },
      );
    }
  }
}
