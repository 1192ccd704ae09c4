// Shapes shared by the HTTP layer and the route modules: the request context
// a handler receives, the reply it returns and the route table entry. Owns
// no behaviour.
import type { ContractName } from '../../contracts/index.ts';
import type { PeerIdentity } from '../pki/identity.ts';

/** What a handler sees of a request (already authenticated and parsed). */
export interface RequestContext {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Verified client certificate identity (`null` on unauthenticated routes). */
  readonly identity: PeerIdentity | null;
  /** Parsed, contract-validated JSON body (POST routes with a contract). */
  readonly body: unknown;
  /** Aborted when the client goes away or the server shuts down. */
  readonly signal: AbortSignal;
  /** CP clock at receipt (epoch ms). */
  readonly receivedAt: number;
  /** The client's address (`addr:port`), for logs; absent over HTTP/1.1. */
  readonly peer?: string;
}

/** What a handler returns. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body (serialised with `application/json`). */
  readonly json?: unknown;
  /** Raw bytes or text with `contentType`. */
  readonly raw?: Uint8Array | string;
  readonly contentType?: string;
}

/** How a route authenticates (derived from its row of the authorization table, routes/access.ts). */
export type RouteAuth =
  /** No client certificate needed (health, metrics). */
  | 'none'
  /** No client certificate; authenticated by a bootstrap token in the body. */
  | 'bootstrap'
  /** A verified, unrevoked client certificate is required. */
  | 'mtls';

/** One route of the table. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path segments; `:name` captures one segment. */
  readonly path: string;
  /** Whether `X-Nixfleet-Protocol: 1` is required (every /v1 route). */
  readonly protocol: boolean;
  /** Contract the JSON body must satisfy (POST only). */
  readonly contract?: ContractName;
  handle(ctx: RequestContext, params: Readonly<Record<string, string>>): Promise<Reply>;
}
