// A follower's relay to the leader (docs/design/replicas.md, "What a
// follower does"): a request the follower's edge verified (certificate,
// revocation, body, contract) is sent to the leader's --advertise-url over
// HTTP/2 with the follower's replica certificate and the client's
// certificate in x-nixfleet-forwarded-cert, and the leader's answer comes
// back as it was. Which answers are relayed, the deadlines and the pool
// size are decided in ts/core/cp-endpoints/forward.ts. Must never answer a
// 2xx the leader did not send, and never keep a connection to a replica
// that no longer leads.
import http2 from 'node:http2';
import {
  forwardTimeoutMs,
  forwardVerdict,
  pickSession,
  type ForwardObservation,
} from '../../core/cp-endpoints/forward.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import { FORWARDED_CERT_HEADER, FORWARDED_FOR_HEADER } from '../server/forwarded.ts';
import type { Reply, RequestContext } from '../server/types.ts';
import type { ReplicaCredential } from './credential.ts';

/** Request headers a route reads besides the body and the identity. */
const RELAYED_REQUEST_HEADERS = ['x-nixfleet-protocol', 'content-type', 'accept'] as const;
/** Response headers that belong to the leader's connection, not to the answer. */
const CONNECTION_HEADERS = new Set(['content-length', 'date', 'connection', 'keep-alive']);

/** Options of {@link LeaderForwarder}. */
export interface ForwarderOptions {
  readonly credential: ReplicaCredential;
  /** PEM the leader's server certificate must chain to (the fleet CA). */
  readonly serverCa: string | Buffer;
  readonly longPollMs: number;
  readonly log: Logger;
  readonly metrics: CpMetrics;
}

interface Pool {
  readonly url: string;
  readonly sessions: { session: http2.ClientHttp2Session; open: number; serial: string }[];
}

/** Relays requests to the leader over a small pool of HTTP/2 connections. */
export class LeaderForwarder {
  private pool: Pool | null = null;
  /** Whether the last forward failed (a failure is logged once per run of them, not per request). */
  private failing = false;

  constructor(private readonly o: ForwarderOptions) {}

  /**
   * The leader's answer to `ctx` (the request of `route`), or the
   * observation of why there is none (the caller refuses with 503).
   */
  async forward(
    leaderUrl: string,
    route: string,
    ctx: RequestContext,
  ): Promise<{ reply: Reply } | { refused: ForwardObservation }> {
    let observation: ForwardObservation;
    let reply: Reply | null = null;
    try {
      const got = await this.send(leaderUrl, route, ctx);
      observation = got.observation;
      reply = got.reply;
    } catch (e) {
      observation = { kind: 'transport' };
      if (!this.failing && ctx.signal.aborted !== true) {
        this.o.log.warn(
          { leader: leaderUrl, route, err: (e as Error).message },
          'forwarding to the leader failed; answering CP_ERR_NOT_LEADER until it answers again',
        );
      }
    }
    const verdict = forwardVerdict(observation);
    this.o.metrics.forwarded.inc({ route, outcome: verdict.outcome });
    const failed = verdict.outcome === 'unreachable' || verdict.outcome === 'timeout';
    if (this.failing && !failed) this.o.log.info({ leader: leaderUrl }, 'forwarding to the leader');
    this.failing = failed;
    if (verdict.answer === 'relay' && reply !== null) return { reply };
    return { refused: observation };
  }

  /** Whether the leader answers its /healthz now (the follower's health). */
  async reachable(leaderUrl: string, timeoutMs: number): Promise<boolean> {
    try {
      const s = await this.session(leaderUrl);
      const { status } = await this.exchange(
        s,
        { ':method': 'GET', ':path': '/healthz' },
        undefined,
        timeoutMs,
        undefined,
      );
      return status === 200;
    } catch {
      return false;
    }
  }

  /** Drops every connection (this replica leads, or stops). */
  close(): void {
    const p = this.pool;
    this.pool = null;
    for (const s of p?.sessions ?? []) s.session.destroy();
  }

  private async send(
    leaderUrl: string,
    route: string,
    ctx: RequestContext,
  ): Promise<{ observation: ForwardObservation; reply: Reply | null }> {
    const entry = await this.session(leaderUrl);
    const q = ctx.query.toString();
    const headers: http2.OutgoingHttpHeaders = {
      ':method': ctx.method,
      ':path': q === '' ? ctx.path : `${ctx.path}?${q}`,
    };
    for (const h of RELAYED_REQUEST_HEADERS) {
      const v = ctx.headers[h];
      if (v !== undefined) headers[h] = v;
    }
    if (ctx.identity !== null) headers[FORWARDED_CERT_HEADER] = ctx.identity.raw.toString('base64');
    if (ctx.peer !== undefined) headers[FORWARDED_FOR_HEADER] = ctx.peer;
    const body = ctx.method === 'POST' ? JSON.stringify(ctx.body) : undefined;
    const timeoutMs = forwardTimeoutMs(route, this.o.longPollMs);
    const got = await this.exchange(entry, headers, body, timeoutMs, ctx.signal);
    if (got.status === 0) return { observation: { kind: 'timeout' }, reply: null };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(got.headers)) {
      if (k.startsWith(':') || CONNECTION_HEADERS.has(k) || v === undefined) continue;
      out[k] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    const contentType = out['content-type'];
    const reply: Reply =
      got.body.length === 0
        ? { status: got.status, headers: out }
        : {
            status: got.status,
            headers: out,
            raw: got.body,
            ...(contentType !== undefined ? { contentType } : {}),
          };
    return {
      observation: { kind: 'answered', status: got.status, cpCode: codeOf(got) },
      reply,
    };
  }

  /** One request on `entry`; status 0 when the deadline passed first. */
  private exchange(
    entry: Pool['sessions'][number],
    headers: http2.OutgoingHttpHeaders,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      entry.open += 1;
      const stream = entry.session.request(headers, { endStream: body === undefined });
      let status = 0;
      let resHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        entry.open -= 1;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        done(() => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      // The client went away: the leader releases what it holds for it.
      const onAbort = (): void => {
        done(() => reject(new Error('client closed')));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('response', (h) => {
        status = Number(h[':status']);
        resHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (status === 0) done(() => reject(new Error('stream ended without an answer')));
        else done(() => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) }));
      });
      stream.on('error', (e) => done(() => reject(e)));
      stream.on('close', () =>
        done(() => reject(new Error(`stream closed (code ${stream.rstCode ?? '?'})`))),
      );
      if (body !== undefined) stream.end(body);
    });
  }

  /** A connection to `leaderUrl` with room, opened if needed; an old leader's are dropped. */
  private async session(leaderUrl: string): Promise<Pool['sessions'][number]> {
    if (this.pool !== null && this.pool.url !== leaderUrl) this.close();
    const pool = (this.pool ??= { url: leaderUrl, sessions: [] });
    const cred = await this.o.credential.current();
    // A re-minted credential: connections with the old one finish what they carry.
    for (const s of pool.sessions.filter((x) => x.serial !== cred.serial)) {
      s.session.close();
      pool.sessions.splice(pool.sessions.indexOf(s), 1);
    }
    const pick = pickSession(pool.sessions.map((s) => s.open));
    if (pick !== 'open') return pool.sessions[pick] as Pool['sessions'][number];
    const session = http2.connect(leaderUrl, {
      ca: this.o.serverCa,
      cert: cred.certPem,
      key: cred.keyPem,
      minVersion: 'TLSv1.3',
    });
    const entry = { session, open: 0, serial: cred.serial };
    pool.sessions.push(entry);
    const drop = (): void => {
      const i = pool.sessions.indexOf(entry);
      if (i !== -1) pool.sessions.splice(i, 1);
    };
    session.on('error', drop);
    session.on('close', drop);
    session.on('goaway', drop);
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
      session.once('close', () => reject(new Error('connection closed')));
    });
    return entry;
  }
}

function codeOf(got: { headers: http2.IncomingHttpHeaders; body: Buffer }): string | null {
  if (!String(got.headers['content-type'] ?? '').startsWith('application/json')) return null;
  try {
    const b = JSON.parse(got.body.toString('utf8')) as { error?: { code?: unknown } };
    return typeof b.error?.code === 'string' ? b.error.code : null;
  } catch {
    return null;
  }
}
