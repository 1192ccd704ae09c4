// The agent's transport to a fleet that has several control-plane URLs
// (docs/agent.md "Several control-plane URLs"): one HTTP/2 client per URL,
// each verified against the same CA and server-name rule, and the decision
// of ts/core/cp-endpoints fed with every attempt's outcome — which URL takes
// the next request, when a request is sent again to the next URL, the pause
// after a round in which none answered, and the spread of reconnects after a
// lost connection. A request sent again is the same request: the workers'
// state (outbox, seq numbers) is untouched, and a report no URL acknowledged
// reaches its caller as a failure, which retries it. Must never interpret a
// body beyond the CP's error code (cp-api.ts does).
import type { Logger } from 'pino';
import {
  initialCpEndpoints,
  onCpAttempt,
  reconnectAt,
  reconnectWaitMs,
  type CpAttemptOutcome,
  type CpEndpointsState,
  type RoundBackoff,
} from '../../core/cp-endpoints/failover.ts';
import type { Clock } from '../clock.ts';
import { isAgentError } from '../errors.ts';
import {
  H2Client,
  SESSION_RENEW_MS,
  type HttpRequest,
  type HttpResponse,
  type TlsMaterial,
} from './h2-client.ts';

/** What cp-api.ts sends requests through. */
export interface CpTransport {
  /** The URL requests go to now. */
  readonly origin: string;
  request(req: HttpRequest): Promise<HttpResponse>;
  setTls(tls: TlsMaterial): void;
  close(): void;
}

/** Options of {@link FailoverClient}. */
export interface FailoverOptions {
  /** Control-plane origins in the order the agent tries them (≥ 1). */
  readonly origins: readonly string[];
  readonly tls: TlsMaterial;
  readonly agentVersion: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Uniform in [0, 1); injected for deterministic tests. */
  readonly random: () => number;
  readonly backoff: RoundBackoff;
  /** Reconnects after a lost connection spread over this window (0: at once). */
  readonly reconnectSpreadMs: number;
  /** Keep TLS sessions across reconnects. */
  readonly resumeTls: boolean;
  /** With `resumeTls`, renew a connection by a full handshake at this age (default {@link SESSION_RENEW_MS}). */
  readonly sessionRenewMs?: number;
  readonly log?: Logger;
}

/** The CP's `error.code` of an error answer, or null. */
function cpCodeOf(res: HttpResponse): string | null {
  if (res.status < 400 || res.body.length === 0 || res.body.length > 64 * 1024) return null;
  try {
    const code = (JSON.parse(res.body.toString('utf8')) as { error?: { code?: unknown } }).error
      ?.code;
    return typeof code === 'string' && /^CP_ERR_[A-Z_]{1,60}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** The outcome of a thrown request, as core reads it. */
function outcomeOfError(e: unknown): CpAttemptOutcome {
  const reason = isAgentError(e) ? e.context['reason'] : undefined;
  if (reason === 'timeout' || reason === 'aborted' || reason === 'too-large') {
    return { kind: 'transport', reason };
  }
  return { kind: 'transport', reason: 'unreachable' };
}

/** HTTP/2 clients for every control-plane URL, switched as core decides. */
export class FailoverClient implements CpTransport {
  private readonly clients: H2Client[];
  private state: CpEndpointsState;
  /** No new connection before this (after a loss or an exhausted round). */
  private holdUntil: number | null = null;
  private readonly closed = new AbortController();
  private readonly o: FailoverOptions;

  constructor(options: FailoverOptions) {
    if (options.origins.length === 0) throw new RangeError('no control-plane URL');
    this.o = options;
    this.state = initialCpEndpoints(options.origins.length);
    this.clients = options.origins.map(
      (origin) =>
        new H2Client({
          origin,
          tls: options.tls,
          agentVersion: options.agentVersion,
          timeoutMs: options.timeoutMs,
          resumeTls: options.resumeTls,
          renewAfterMs: options.sessionRenewMs ?? SESSION_RENEW_MS,
          now: () => options.clock.now(),
          onLost: () => this.lost(origin),
        }),
    );
  }

  get origin(): string {
    return this.clients[this.state.active]?.origin as string;
  }

  /** Index of the URL in use (tests, logs). */
  get active(): number {
    return this.state.active;
  }

  /** TLS handshakes per URL, full and resumed. */
  handshakes(): { readonly full: number; readonly resumed: number } {
    let full = 0;
    let resumed = 0;
    for (const c of this.clients) {
      full += c.handshakes.full;
      resumed += c.handshakes.resumed;
    }
    return { full, resumed };
  }

  private lost(origin: string): void {
    const at = reconnectAt(this.o.clock.now(), this.o.reconnectSpreadMs, this.o.random());
    this.holdUntil = Math.max(this.holdUntil ?? 0, at);
    this.o.log?.info(
      { cp: origin, reconnectInMs: at - this.o.clock.now() },
      'control-plane connection lost; reconnecting after a spread delay',
    );
  }

  /**
   * Sends `req` to the URL in use; on an outcome core calls a switch, to the
   * next URL, each at most once per call. Resolves with the last answer or
   * rejects with the last transport failure.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const tried = new Set<number>();
    for (;;) {
      const index = this.state.active;
      const client = this.clients[index] as H2Client;
      if (!client.connected) await this.waitHold(req.signal);
      tried.add(index);
      let res: HttpResponse | null = null;
      let err: unknown = null;
      let outcome: CpAttemptOutcome;
      try {
        res = await client.request(req);
        outcome = { kind: 'answered', status: res.status, cpCode: cpCodeOf(res) };
      } catch (e) {
        err = e;
        outcome = outcomeOfError(e);
      }
      const before = this.state.active;
      const { state, decision } = onCpAttempt(
        this.state,
        index,
        outcome,
        tried.size,
        this.o.backoff,
        this.o.random(),
      );
      this.state = state;
      if (state.active !== before) this.switched(before, state.active, outcome);
      if (decision.kind === 'exhausted') {
        this.holdUntil = Math.max(this.holdUntil ?? 0, this.o.clock.now() + decision.backoffMs);
      }
      const again =
        decision.kind === 'retry' &&
        !tried.has(decision.index) &&
        req.signal?.aborted !== true &&
        !this.closed.signal.aborted;
      if (!again) {
        if (res !== null) return res;
        throw err;
      }
    }
  }

  private switched(from: number, to: number, outcome: CpAttemptOutcome): void {
    // The URL left behind keeps no idle connection whose later close would
    // read as a loss; its in-flight requests finish.
    this.clients[from]?.close(true);
    this.o.log?.warn(
      {
        from: this.clients[from]?.origin,
        to: this.clients[to]?.origin,
        why:
          outcome.kind === 'answered'
            ? `HTTP ${outcome.status}${outcome.cpCode === null ? '' : ` ${outcome.cpCode}`}`
            : outcome.reason,
        code: 'AGENT_ERR_CP_UNREACHABLE',
      },
      'switching control-plane URL',
    );
  }

  private async waitHold(signal: AbortSignal | undefined): Promise<void> {
    const ms = reconnectWaitMs(this.holdUntil, this.o.clock.now());
    if (ms <= 0) return;
    const both =
      signal === undefined ? this.closed.signal : AbortSignal.any([signal, this.closed.signal]);
    await this.o.clock.sleep(ms, both);
  }

  setTls(tls: TlsMaterial): void {
    for (const c of this.clients) c.setTls(tls);
  }

  close(): void {
    this.closed.abort();
    for (const c of this.clients) c.close();
  }
}
