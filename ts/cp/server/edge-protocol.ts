// The messages between the control plane's main thread and its edge thread
// (edge.ts). The edge terminates TLS, speaks HTTP/2 and runs every check
// that needs no fleet state; the main thread owns state, the mutator and
// every handler. Messages are structured-cloned, so they hold plain data
// only: a request's parsed body crosses once, a reply's body crosses as the
// already serialised string or bytes. Owns no behaviour.
import type { ContractName } from '../../contracts/index.ts';
import type { PeerIdentity } from '../pki/identity.ts';
import type { RevocationRow } from '../storage/types.ts';
import type { AccessRow } from '../routes/access.ts';
import type { RouteAuth } from './types.ts';

/** What the edge knows of a route: everything but its handler. */
export interface RouteMeta {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly auth: RouteAuth;
  /** The route's row of the authorization table. */
  readonly access: AccessRow;
  readonly protocol: boolean;
  readonly contract?: ContractName;
}

/** The server's TLS material (PEM text or bytes). */
export interface EdgeTls {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** Client CA bundle; `null` disables client certificates (mTLS routes then answer 401). */
  readonly clientCa: string | Uint8Array | null;
  /** 48 bytes of TLS session ticket keys; null: the process's own random keys. */
  readonly ticketKeys?: Uint8Array | null;
  /** How long a TLS session is resumable (seconds). */
  readonly sessionLifetimeSecs?: number;
}

/**
 * The edge's bounds on peers (docs/control-plane.md "Limits"): every
 * timeout in ms, caps per identity (certificate CN) or, without a verified
 * certificate, per remote address.
 */
export interface EdgeLimits {
  /** Deepest JSON nesting a body may have (checked before parsing). */
  readonly jsonMaxDepth: number;
  readonly handshakeTimeoutMs: number;
  /** TLS up to the first complete request headers (HTTP/2 preface, SETTINGS, HEADERS). */
  readonly prefaceTimeoutMs: number;
  /** A connection with no open stream is closed (GOAWAY) after this. */
  readonly idleTimeoutMs: number;
  /** Longest pause between two chunks of a request body. */
  readonly bodyIdleTimeoutMs: number;
  /** Longest a request body may take from its headers to its end. */
  readonly bodyTimeoutMs: number;
  readonly connsPerIdentity: number;
  readonly connsPerAddress: number;
  readonly streamsPerIdentity: number;
  /** Agent events per host: count bucket and byte bucket (refill per second, burst). */
  readonly eventRate: { readonly perSec: number; readonly burst: number };
  readonly eventBytes: { readonly perSec: number; readonly burst: number };
}

/**
 * Production-sized defaults (the CP's flags default to these). The handshake
 * deadline leaves room for a reconnect storm: a 4,096-deep accept queue at
 * 2–3 ms of edge CPU per handshake is 8–12 s of queueing.
 */
export const DEFAULT_EDGE_LIMITS: EdgeLimits = Object.freeze({
  jsonMaxDepth: 32,
  handshakeTimeoutMs: 20_000,
  prefaceTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  bodyIdleTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  connsPerIdentity: 16,
  connsPerAddress: 256,
  streamsPerIdentity: 64,
  eventRate: Object.freeze({ perSec: 20, burst: 500 }),
  eventBytes: Object.freeze({ perSec: 256 * 1024, burst: 4 * 1024 * 1024 }),
});

/** A connection or stream the edge cut off by a limit. */
export interface LimitReport {
  readonly scope: 'connection' | 'stream';
  readonly reason: string;
  /** Remote address:port. */
  readonly peer: string;
  /** `cn:<CN>` or `addr:<address>`; null before TLS completed. */
  readonly identity: string | null;
}

/** `workerData` of the edge thread. */
export interface EdgeInit extends EdgeTls {
  readonly routes: readonly RouteMeta[];
  readonly bodyLimitBytes: number;
  readonly limits: EdgeLimits;
  readonly revocations: ReadonlyMap<string, RevocationRow>;
  readonly listen: { readonly port: number; readonly host: string; readonly backlog: number };
  /** Window of the edge's event-loop delay reports (ms). */
  readonly loopWindowMs: number;
}

/** A request that passed every edge check, for the main thread to handle. */
export interface EdgeRequest {
  readonly t: 'req';
  readonly id: number;
  /** Index into {@link EdgeInit.routes}. */
  readonly route: number;
  readonly params: Readonly<Record<string, string>>;
  readonly method: string;
  readonly path: string;
  /** The raw query string (without `?`). */
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly identity: PeerIdentity | null;
  /** Parsed and contract-validated JSON body (`undefined` on GET). */
  readonly body: unknown;
  /** The client's address (`addr:port`), named when a follower forwards the request. */
  readonly peer?: string;
}

/** Edge → main. */
export type EdgeToMain =
  | {
      readonly t: 'listening';
      readonly port: number;
      /** Contracts the edge compiled before accepting (no compile stall under load). */
      readonly contracts: readonly string[];
    }
  | { readonly t: 'listen-error'; readonly code: string; readonly message: string }
  | EdgeRequest
  /** The client went away before the reply (the handler's signal aborts). */
  | { readonly t: 'abort'; readonly id: number }
  /** A request the edge answered itself (refused before any handler). */
  | {
      readonly t: 'refused';
      readonly route: string;
      readonly status: number;
      readonly code: string;
    }
  | {
      readonly t: 'log';
      readonly level: 'warn' | 'error';
      readonly msg: string;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  /**
   * Latencies of answered requests as flat pairs [route index, ms from the
   * request's headers at the edge to its reply handed to TLS], batched (about
   * once a second) so that timing costs no message per request.
   */
  | { readonly t: 'timings'; readonly samples: readonly number[] }
  /** The edge thread's event-loop delay over a window (ms; see loop-delay.ts). */
  | { readonly t: 'loop'; readonly p50: number; readonly p99: number; readonly max: number }
  /** The edge thread was blocked for `ms`. */
  | { readonly t: 'stall'; readonly ms: number }
  | ({ readonly t: 'limit' } & LimitReport)
  | { readonly t: 'closed' };

/** A handler's reply, body already serialised. */
export interface EdgeReply {
  readonly t: 'res';
  readonly id: number;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

/** Main → edge. */
export type MainToEdge =
  | EdgeReply
  | { readonly t: 'revocations'; readonly rows: ReadonlyMap<string, RevocationRow> }
  /** Refuse new requests with 503 (shutdown has begun). */
  | { readonly t: 'shutting-down' }
  /** Stop accepting connections; answers `closed` once every session ended. */
  | { readonly t: 'close' }
  | { readonly t: 'destroy-sessions' };
