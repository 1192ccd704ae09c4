// The agent's HTTP/2 + TLS 1.3 client (RFC-0003 §3). Owns one multiplexed
// session to the control plane (reconnected on error or GOAWAY), mTLS
// credentials (swappable after renewal), the protocol headers and
// per-request timeouts. Must never interpret bodies: cp-api.ts does.
import { constants } from 'node:http2';
import { H2Session, H2TransportError, type H2Response, type H2Tls } from '../../net/h2.ts';
import { AgentError } from '../errors.ts';

/** TLS material as PEM text (read from files by the caller). */
export type TlsMaterial = H2Tls;

/** A complete HTTP response. */
export type HttpResponse = H2Response;

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

/**
 * Age of the last full TLS handshake at which the agent renews its
 * connection with a new one: well inside the CP's default session lifetime
 * (7 days), so that an agent connected for weeks still resumes after a CP
 * restart instead of joining a storm of full handshakes. One extra
 * handshake a day per agent.
 */
export const SESSION_RENEW_MS = 86_400_000;

/** HTTP/2 client bound to one control-plane origin. */
export class H2Client {
  readonly origin: string;
  private readonly session: H2Session;
  private readonly agentVersion: string;
  private readonly defaultTimeoutMs: number;

  constructor(options: {
    readonly origin: string;
    readonly tls: TlsMaterial;
    readonly agentVersion: string;
    readonly timeoutMs: number;
    /** Resume TLS sessions on reconnect (ts/net/h2.ts `resumeTls`). */
    readonly resumeTls?: boolean;
    /** Renew the connection by a full handshake at this age (ts/net/h2.ts `renewAfterMs`). */
    readonly renewAfterMs?: number;
    /** Clock of the renewal age. */
    readonly now?: () => number;
    /** Told when an established connection is lost. */
    readonly onLost?: () => void;
  }) {
    this.origin = options.origin;
    this.session = new H2Session(options.origin, options.tls, {
      ...(options.resumeTls !== undefined ? { resumeTls: options.resumeTls } : {}),
      ...(options.renewAfterMs !== undefined ? { renewAfterMs: options.renewAfterMs } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
      ...(options.onLost !== undefined ? { onLost: options.onLost } : {}),
    });
    this.agentVersion = options.agentVersion;
    this.defaultTimeoutMs = options.timeoutMs;
  }

  /** Swaps the client certificate (after renewal); the next request reconnects. */
  setTls(tls: TlsMaterial): void {
    this.session.setTls(tls);
  }

  /** Closes the session; `graceful` lets in-flight streams finish, otherwise they are cancelled. */
  close(graceful = false): void {
    this.session.close(graceful);
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.session.connected;
  }

  /** Completed TLS handshakes, full and resumed. */
  get handshakes(): { readonly full: number; readonly resumed: number } {
    return this.session.handshakes;
  }

  /**
   * Sends a request and buffers the response. Network failures, TLS
   * failures and timeouts throw `AGENT_ERR_CP_UNREACHABLE`; any HTTP status
   * is a value.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const body = req.body === undefined ? null : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: req.method,
      [constants.HTTP2_HEADER_PATH]: req.path,
      'x-nixfleet-protocol': PROTOCOL_VERSION,
      'x-nixfleet-agent-version': this.agentVersion,
      accept: req.accept ?? 'application/json',
    };
    if (body !== null) headers['content-type'] = 'application/json';
    try {
      return await this.session.request(headers, body, {
        timeoutMs: req.timeoutMs ?? this.defaultTimeoutMs,
        maxBytes: MAX_BODY_BYTES,
        ...(req.signal !== undefined ? { signal: req.signal } : {}),
      });
    } catch (e) {
      const why = e instanceof H2TransportError ? e.message : String(e);
      throw new AgentError('AGENT_ERR_CP_UNREACHABLE', `${req.method} ${req.path}: ${why}`, {
        cause: e,
        context: {
          path: req.path,
          origin: this.origin,
          reason: e instanceof H2TransportError ? e.reason : 'unreachable',
        },
      });
    }
  }
}
