// The HTTP/2 + TLS 1.3 client mechanics the agent and the operator CLI
// share: one multiplexed session to a control plane, reopened after an
// error, GOAWAY or close, and a buffered request with a timeout, an abort
// signal and a response size limit. Owns transport behaviour only; callers
// turn an H2TransportError into their own typed error and interpret bodies.
import {
  connect,
  constants,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';

/** TLS material as PEM text; `null` leaves node's default. */
export interface H2Tls {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
}

/** A buffered response. */
export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Why a request got no response; callers map it to their error vocabulary. */
export class H2TransportError extends Error {
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'timeout' | 'aborted' | 'too-large',
    options: { readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'H2TransportError';
  }
}

/** Options of {@link H2Session}. */
export interface H2SessionOptions {
  /**
   * Keep the TLS session ticket the server sends and offer it on the next
   * connection, so a reconnect resumes instead of repeating the full
   * handshake. Verification is unchanged: a ticket is offered only to the
   * origin that issued it, with the same CA and server name, and it is
   * dropped with the client certificate it was made with.
   */
  readonly resumeTls?: boolean;
  /** Told when an established session ends without {@link H2Session.close} (GOAWAY, reset, error). */
  readonly onLost?: () => void;
  /**
   * With `resumeTls`: once the last full handshake is older than this, the
   * next request opens a new connection with a full handshake and the old
   * one is closed gracefully, its in-flight streams finishing. A server
   * resumes a session only within its lifetime counted from the full
   * handshake it descends from (resumed connections inherit that age), so
   * without renewal a client connected for longer than that lifetime holds
   * only expired tickets and pays a full handshake at its next reconnect —
   * after a server restart, every such client at once.
   */
  readonly renewAfterMs?: number;
  /** Clock of the renewal age (tests); default `Date.now`. */
  readonly now?: () => number;
}

/** One HTTP/2 session to `origin`, opened on demand and forgotten when it fails. */
export class H2Session {
  private session: ClientHttp2Session | null = null;
  /** When the last full handshake completed (the age of the tickets held). */
  private fullAt = 0;
  private ticket: Buffer | null = null;
  /** Completed TLS handshakes of this origin, full and resumed. */
  readonly handshakes = { full: 0, resumed: 0 };
  /** Connections replaced by a full handshake because they reached `renewAfterMs`. */
  renewals = 0;

  constructor(
    readonly origin: string,
    private tls: H2Tls,
    private readonly options: H2SessionOptions = {},
  ) {}

  /** Swaps the TLS material (e.g. after certificate renewal); the next request reconnects. */
  setTls(tls: H2Tls): void {
    this.tls = tls;
    // A ticket resumes the identity it was issued to: the old certificate.
    this.ticket = null;
    this.close();
  }

  /** Whether a session is open now. */
  get connected(): boolean {
    return this.session !== null && !this.session.closed && !this.session.destroyed;
  }

  private open(): ClientHttp2Session {
    const now = this.options.now ?? Date.now;
    if (this.session && !this.session.closed && !this.session.destroyed) {
      if (!this.renewalDue(now())) return this.session;
      // Closed gracefully and unregistered first, so that its end is not a loss.
      const old = this.session;
      this.session = null;
      old.close();
      this.ticket = null;
      this.renewals += 1;
    }
    const resume = this.options.resumeTls === true;
    const s = connect(this.origin, {
      ...(this.tls.ca !== null ? { ca: this.tls.ca } : {}),
      ...(this.tls.cert !== null ? { cert: this.tls.cert } : {}),
      ...(this.tls.key !== null ? { key: this.tls.key } : {}),
      ...(resume && this.ticket !== null ? { session: this.ticket } : {}),
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
    });
    const tls = this.tls;
    s.socket.on('secureConnect', () => {
      const socket = s.socket as unknown as { isSessionReused(): boolean };
      if (socket.isSessionReused()) this.handshakes.resumed += 1;
      else {
        this.handshakes.full += 1;
        this.fullAt = now();
      }
    });
    if (resume) {
      s.socket.on('session', (ticket: Buffer) => {
        if (this.tls === tls) this.ticket = ticket;
      });
    }
    let established = false;
    s.once('connect', () => {
      established = true;
    });
    const forget = (): void => {
      if (this.session !== s) return;
      this.session = null;
      if (established) this.options.onLost?.();
    };
    s.on('error', forget);
    s.on('goaway', forget);
    s.on('close', forget);
    // A process must be able to exit with the session open.
    s.unref();
    this.session = s;
    return s;
  }

  private renewalDue(now: number): boolean {
    const after = this.options.renewAfterMs;
    return (
      this.options.resumeTls === true &&
      after !== undefined &&
      this.ticket !== null &&
      now - this.fullAt >= after
    );
  }

  /** Ends the session: `graceful` lets in-flight streams finish, otherwise they are cancelled. */
  close(graceful = false): void {
    const s = this.session;
    this.session = null;
    if (s && !s.destroyed) {
      if (graceful) s.close();
      else s.destroy();
    }
  }

  /**
   * Sends one request and buffers the response; any HTTP status is a value.
   * Rejects with {@link H2TransportError} when there is no response.
   *
   * @example const r = await s.request({ ':method': 'GET', ':path': '/v1/hosts' }, null, { timeoutMs: 10_000, maxBytes: 1 << 20 });
   */
  request(
    headers: OutgoingHttpHeaders,
    body: Buffer | null,
    options: {
      readonly timeoutMs: number;
      readonly maxBytes: number;
      readonly signal?: AbortSignal;
      /** Drop the session on a timeout (cancels its other streams); default false. */
      readonly dropSessionOnTimeout?: boolean;
    },
  ): Promise<H2Response> {
    return new Promise<H2Response>((resolve, reject) => {
      const fail = (
        why: string,
        reason: H2TransportError['reason'] = 'unreachable',
        cause?: unknown,
      ): void => reject(new H2TransportError(why, reason, { cause }));
      if (options.signal?.aborted) return fail('aborted', 'aborted');
      let session: ClientHttp2Session;
      let stream: ReturnType<ClientHttp2Session['request']>;
      try {
        session = this.open();
        stream = session.request(headers, { endStream: body === null });
      } catch (e) {
        this.close();
        return fail((e as Error).message, 'unreachable', e);
      }
      let settled = false;
      let status = 0;
      let resHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        session.off('error', onSessionError);
        fn();
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        if (options.dropSessionOnTimeout === true) this.close();
        finish(() => fail(`no answer within ${options.timeoutMs} ms`, 'timeout'));
      }, options.timeoutMs);
      const onAbort = (): void => {
        stream.close(constants.NGHTTP2_CANCEL);
        finish(() => fail('aborted', 'aborted'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // A session-level failure (refused connection, TLS alert) reaches the
      // stream as an error too; the session's message is the informative one.
      const onSessionError = (e: Error): void => finish(() => fail(e.message, 'unreachable', e));
      session.once('error', onSessionError);
      stream.on('response', (h) => {
        resHeaders = h;
        status = Number(h[constants.HTTP2_HEADER_STATUS] ?? 0);
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > options.maxBytes) {
          stream.close(constants.NGHTTP2_CANCEL);
          finish(() => fail(`response larger than ${options.maxBytes} bytes`, 'too-large'));
          return;
        }
        chunks.push(c);
      });
      const done = (): void => {
        if (status === 0) finish(() => fail('the stream closed before a response'));
        else finish(() => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) }));
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', (e) => finish(() => fail(e.message, 'unreachable', e)));
      if (body !== null) stream.end(body);
    });
  }
}
