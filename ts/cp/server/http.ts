// The main-thread side of the front door. The edge thread (edge.ts) owns
// TLS, HTTP/2 and every request check that needs no fleet state; this side
// starts it, hands each request that passed to its route's handler, re-checks
// the caller's revocation against live state (the edge's copy may be one
// adoption behind), and posts the reply back serialised. Must never let a
// handler exception escape (a bad request never crashes the CP), and keeps
// the CP serving if the edge thread dies: pending handlers are aborted and a
// new edge listens on the same port.
import { Worker } from 'node:worker_threads';
import type { Clock } from '../clock.ts';
import { CpError, isCpError } from '../errors.ts';
import { listenFailure } from './listener-setup.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import { accessRow, AUTH_REFUSALS, routeAuth, type AccessTable } from '../routes/access.ts';
import type { RevocationRow } from '../storage/types.ts';
import {
  DEFAULT_EDGE_LIMITS,
  type EdgeInit,
  type EdgeLimits,
  type EdgeRequest,
  type EdgeTls,
  type EdgeToMain,
  type MainToEdge,
  type RouteMeta,
} from './edge-protocol.ts';
import { errorReply, recheckCaller, revive, serialise } from './http-request.ts';
import type { Reply, RequestContext, Route } from './types.ts';
import { LOOP_WINDOW_MS, type LoopDelayWindow } from './loop-delay.ts';

export { PROTOCOL_MAJOR } from './edge.ts';

/** Options of {@link createCpServer}. */
export interface ServerOptions extends EdgeTls {
  readonly routes: readonly Route[];
  /** Who may call which route; every route needs a row (routes/access.ts). */
  readonly access: AccessTable;
  readonly bodyLimitBytes: number;
  /** Timeouts, caps and budgets of the edge (default: {@link DEFAULT_EDGE_LIMITS}). */
  readonly limits?: EdgeLimits;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: CpMetrics;
  readonly revocations: () => ReadonlyMap<string, RevocationRow>;
  readonly shuttingDown: () => boolean;
  /** Each answered request's latency at the edge (ms), by route name ("POST /v1/agent/events"), within ~100 ms of the answer. */
  readonly onTimed?: (route: string, ms: number) => void;
  /** Window of the edge's event-loop delay reports (ms; tests shorten it). */
  readonly loopWindowMs?: number;
  /** The edge thread's event-loop delay over a window (ms). */
  readonly onLoopDelay?: (thread: 'edge', w: LoopDelayWindow) => void;
  /** The edge thread was blocked for `ms`. */
  readonly onStall?: (thread: 'edge', ms: number) => void;
}

/** A running server with its drain hooks. */
export interface CpServer {
  /** Starts the edge listening; resolves with the bound port and the contracts it compiled. */
  listen(
    port: number,
    host: string,
    backlog: number,
  ): Promise<{ readonly port: number; readonly contracts: readonly string[] }>;
  /** Refuses new requests (503) and stops accepting; resolves once every session ended and the edge stopped. */
  close(): Promise<void>;
  /** Requests currently being handled. */
  inFlight(): number;
  /** Aborts every in-flight handler (long-polls end with 204). */
  abortAll(): void;
  /** Destroys every open session. */
  destroySessions(): void;
  /** Ends the edge thread as a crash would (tests of the restart path). */
  killEdge(): Promise<void>;
}

/** Pause before a dead edge is replaced (a crash loop must not spin). */
const EDGE_RESTART_MS = 250;
/** Ceiling of the doubling pause between replacements that keep failing. */
const EDGE_RESTART_MAX_MS = 30_000;

/**
 * Creates the server: an edge thread (TLS 1.3 only; client certificates
 * requested on every connection, required per route) feeding the handlers
 * on this thread.
 *
 * @example const s = createCpServer({ cert, key, clientCa, routes, ... }); const port = await s.listen(8443, '127.0.0.1', 4096);
 */
export function createCpServer(options: ServerOptions): CpServer {
  const { log, metrics, routes } = options;
  const meta: RouteMeta[] = routes.map((r) => {
    const access = accessRow(options.access, `${r.method} ${r.path}`);
    return {
      method: r.method,
      path: r.path,
      auth: routeAuth(access),
      access,
      protocol: r.protocol,
      ...(r.contract !== undefined ? { contract: r.contract } : {}),
    };
  });
  const names = routes.map((r) => `${r.method} ${r.path}`);
  /** Abort hooks of requests being handled, by edge request id. */
  const running = new Map<number, () => void>();
  const controllers = new Set<AbortController>();
  let inFlight = 0;
  /** Set by abortAll (shutdown): signals created later start aborted. */
  let abortingAll = false;
  let closing = false;
  let edge: Worker | null = null;
  let bound: { port: number; host: string; backlog: number } | null = null;
  let sentRevocations: ReadonlyMap<string, RevocationRow> | null = null;
  let onListening: ((m: Extract<EdgeToMain, { t: 'listening' | 'listen-error' }>) => void) | null =
    null;
  let onClosed: (() => void) | null = null;
  /** Replacements in a row that failed to listen or died before listening. */
  let failedRestarts = 0;
  const listened = new WeakSet<Worker>();

  const toEdge = (w: Worker, m: MainToEdge): void => w.postMessage(m);

  function spawn(listen: { port: number; host: string; backlog: number }): Worker {
    sentRevocations = options.revocations();
    const init: EdgeInit = {
      cert: options.cert,
      key: options.key,
      clientCa: options.clientCa,
      ticketKeys: options.ticketKeys ?? null,
      ...(options.sessionLifetimeSecs !== undefined
        ? { sessionLifetimeSecs: options.sessionLifetimeSecs }
        : {}),
      routes: meta,
      bodyLimitBytes: options.bodyLimitBytes,
      limits: options.limits ?? DEFAULT_EDGE_LIMITS,
      revocations: sentRevocations,
      listen,
      loopWindowMs: options.loopWindowMs ?? LOOP_WINDOW_MS,
    };
    const w = new Worker(new URL('./edge-worker.mjs', import.meta.url), { workerData: init });
    w.on('message', (m: EdgeToMain) => onMessage(w, m));
    w.on('error', (e) => log.error({ err: e }, 'edge thread failed'));
    w.on('exit', (code) => {
      if (edge !== w) return;
      edge = null;
      // Whatever the edge held is gone with it: its streams can no longer be
      // answered, so the handlers still running are told their client left.
      for (const abort of running.values()) abort();
      running.clear();
      if (closing) {
        onClosed?.();
        return;
      }
      if (onListening !== null) {
        onListening({ t: 'listen-error', code: 'EEDGE', message: `edge exited (${code})` });
        return;
      }
      // An edge that died before it listened counts as a failed replacement.
      if (!listened.has(w)) failedRestarts += 1;
      metrics.edgeRestarts.inc({ reason: `exit ${code}` });
      log.error({ code }, 'edge thread died; starting a new one');
      replaceEdge();
    });
    return w;
  }

  /**
   * Starts a replacement edge after a pause that doubles with each
   * replacement failing in a row (250 ms up to 30 s), so a port taken
   * meanwhile or an edge that dies at start is retried without spinning.
   */
  function replaceEdge(): void {
    const pause = Math.min(EDGE_RESTART_MS * 2 ** failedRestarts, EDGE_RESTART_MAX_MS);
    setTimeout(() => {
      if (!closing && edge === null && bound !== null) edge = spawn(bound);
    }, pause).unref();
  }

  /**
   * A replacement edge (the first listen is the caller's to handle) that
   * cannot bind its port leaves a CP that looks alive and accepts nothing:
   * say so, count it, and try again.
   */
  function replacementListened(
    w: Worker,
    m: Extract<EdgeToMain, { t: 'listening' | 'listen-error' }>,
  ): void {
    if (edge !== w) return;
    if (m.t === 'listening') {
      listened.add(w);
      if (failedRestarts > 0) log.warn({ after: failedRestarts }, 'edge thread listening again');
      failedRestarts = 0;
      return;
    }
    failedRestarts += 1;
    edge = null;
    void w.terminate();
    metrics.edgeRestarts.inc({ reason: `listen-error ${m.code}` });
    log.error(
      { code: m.code, message: m.message, attempt: failedRestarts },
      'replacement edge thread cannot listen; retrying',
    );
    replaceEdge();
  }

  function onMessage(w: Worker, m: EdgeToMain): void {
    switch (m.t) {
      case 'req':
        handle(w, m);
        break;
      case 'abort':
        running.get(m.id)?.();
        break;
      case 'refused':
        metrics.httpRequests.inc({ route: m.route, status: String(m.status) });
        if (AUTH_REFUSALS.has(m.code)) {
          metrics.authRefused.inc({ code: m.code });
        }
        break;
      case 'log':
        if (m.level === 'error') log.error(m.fields, m.msg);
        else log.warn(m.fields, m.msg);
        break;
      case 'timings':
        for (let i = 0; i + 1 < m.samples.length; i += 2) {
          const name = names[m.samples[i] as number];
          if (name !== undefined) {
            const ms = m.samples[i + 1] as number;
            metrics.requestSeconds.observe(ms / 1000, { route: name });
            options.onTimed?.(name, ms);
          }
        }
        break;
      case 'loop':
        options.onLoopDelay?.('edge', m);
        break;
      case 'stall':
        options.onStall?.('edge', m.ms);
        break;
      case 'limit':
        if (m.scope === 'connection') metrics.connectionsClosed.inc({ reason: m.reason });
        else metrics.streamsRefused.inc({ reason: m.reason });
        log.warn(
          { reason: m.reason, peer: m.peer, identity: m.identity },
          m.scope === 'connection' ? 'connection closed by a limit' : 'request cut by a limit',
        );
        break;
      case 'listening':
      case 'listen-error':
        if (onListening !== null) onListening(m);
        else replacementListened(w, m);
        break;
      case 'closed':
        onClosed?.();
        break;
    }
  }

  function handle(w: Worker, m: EdgeRequest): void {
    const started = performance.now();
    const route = routes[m.route] as Route;
    const routeName = names[m.route] as string;
    inFlight += 1;
    // Created on first use: only long-polls read the signal, and an
    // AbortController per request cost ~2 % of the CP's CPU under load.
    let ac: AbortController | null = null;
    let closed = false;
    let settled = false;
    const signal = (): AbortSignal => {
      if (ac === null) {
        ac = new AbortController();
        controllers.add(ac);
        if (closed || abortingAll) ac.abort();
      }
      return ac.signal;
    };
    // Abort only handlers still running (abort() is not free: it builds a DOMException).
    running.set(m.id, () => {
      closed = true;
      if (!settled) ac?.abort();
    });
    const finish = (reply: Reply): void => {
      running.delete(m.id);
      metrics.httpRequests.inc({ route: routeName, status: String(reply.status) });
      if (edge !== w) return;
      const s = serialise(reply);
      toEdge(w, { t: 'res', id: m.id, status: reply.status, ...s });
    };
    run()
      .then(finish, (e: unknown) => {
        if (!isCpError(e)) log.error({ err: e, route: routeName }, 'unhandled error in route');
        else if (e.status >= 500) log.error({ err: e, route: routeName }, 'request failed');
        finish(errorReply(e));
      })
      .finally(() => {
        settled = true;
        inFlight -= 1;
        if (ac !== null) controllers.delete(ac);
        const ms = performance.now() - started;
        if (ms > 5_000 && routeName !== 'GET /v1/agent/dispatch') {
          log.warn({ route: routeName, ms }, 'slow request');
        }
      });

    async function run(): Promise<Reply> {
      if (options.shuttingDown()) {
        throw new CpError('CP_ERR_SHUTTING_DOWN', 'the control plane is shutting down');
      }
      const identity = revive(m.identity);
      const routeMeta = meta[m.route] as RouteMeta;
      if (routeMeta.auth === 'mtls') {
        // The edge decided already; deciding again here keeps a handler
        // unreachable for a denied caller whatever the edge did.
        // The edge checked against the revocations it was last sent; live
        // state decides (a revocation adopted a moment ago applies now).
        const current = options.revocations();
        if (current !== sentRevocations) {
          sentRevocations = current;
          toEdge(w, { t: 'revocations', rows: current });
        }
        const refusal = recheckCaller(routeMeta, identity, current);
        if (refusal !== null) {
          metrics.authRefused.inc({ code: refusal.code });
          throw refusal;
        }
      }
      const ctx: RequestContext = {
        method: m.method,
        path: m.path,
        query: new URLSearchParams(m.query),
        headers: m.headers,
        identity,
        body: m.body,
        get signal() {
          return signal();
        },
        receivedAt: options.clock.now(),
        ...(m.peer !== undefined ? { peer: m.peer } : {}),
      };
      return route.handle(ctx, m.params);
    }
  }

  return {
    listen(port, host, backlog) {
      return new Promise((resolve, reject) => {
        const w = spawn({ port, host, backlog });
        edge = w;
        onListening = (m) => {
          onListening = null;
          if (m.t === 'listening') {
            listened.add(w);
            bound = { port: m.port, host, backlog };
            resolve({ port: m.port, contracts: m.contracts });
          } else {
            edge = null;
            void w.terminate();
            reject(listenFailure(host, port, m.code, m.message));
          }
        };
      });
    },
    close() {
      closing = true;
      const w = edge;
      if (w === null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        onClosed = () => {
          onClosed = null;
          void w.terminate().then(() => resolve());
        };
        toEdge(w, { t: 'shutting-down' });
        toEdge(w, { t: 'close' });
      });
    },
    inFlight: () => inFlight,
    abortAll: () => {
      abortingAll = true;
      for (const c of controllers) c.abort();
    },
    destroySessions: () => {
      if (edge !== null) toEdge(edge, { t: 'destroy-sessions' });
    },
    async killEdge() {
      await edge?.terminate();
    },
  };
}
