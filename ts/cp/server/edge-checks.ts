// The request checks of the edge thread that need no fleet state, in the
// order every route applies them: path hygiene, shutdown, route match and
// method, the authorization table's cell for the caller's certificate and
// its revocation (resolveRequest); then, for a POST, content type, body
// bounds and read deadlines, the per-agent event budget, JSON parse,
// contract validation and the drop of undeclared properties
// (readCheckedBody). Each refusal is a thrown CpError that edge.ts answers;
// the thread plumbing (sessions, messages to the main thread) stays there.
import type http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { validateContract, type ContractName } from '../../contracts/index.ts';
import { CpError } from '../errors.ts';
import { peerIdentity, revocationOf, type PeerIdentity } from '../pki/identity.ts';
import { authorize } from '../routes/access.ts';
import type { RevocationRow } from '../storage/types.ts';
import { STORED_CONTRACTS, bodyLimitFor, dropUnknown, parseJson, readBody } from './body-guard.ts';
import type { EdgeLimits, LimitReport } from './edge-protocol.ts';
import { BAD_PATH, match, type CompiledRoute, type compile } from './routing.ts';
import { isReplicaPeer, type ForwardedCerts } from './forwarded.ts';

/** The edge's view of state the checks read. */
export interface EdgeState {
  readonly table: ReturnType<typeof compile>;
  readonly revocations: ReadonlyMap<string, RevocationRow>;
  readonly shuttingDown: boolean;
  /** Verifies certificates replicas forward (forwarded.ts). */
  readonly forwarded: ForwardedCerts;
}

/** A request that passed path, route and identity checks. */
export interface Resolved {
  readonly compiled: CompiledRoute;
  readonly params: Record<string, string>;
  readonly identity: PeerIdentity | null;
  readonly path: string;
  readonly query: string;
}

/**
 * Path hygiene, route match and the authorization table's cell and
 * revocation, shared by HTTP/2 and HTTP/1.1; throws the refusal.
 */
export function resolveRequest(
  state: EdgeState,
  req: {
    readonly method: string;
    readonly rawPath: string;
    readonly socket: TLSSocket | undefined;
    /** The connection, so one TLS connection is one verified peer. */
    readonly cacheKey: object;
    /** The `x-nixfleet-forwarded-cert` header, when sent. */
    readonly forwardedCert?: string | string[] | undefined;
    /** The `x-nixfleet-forwarded-for` header, when sent. */
    readonly forwardedFor?: string | string[] | undefined;
    readonly named?: (name: string) => void;
  },
): Resolved {
  const { method, rawPath, socket, cacheKey, forwardedCert, forwardedFor } = req;
  const forwarding = forwardedCert !== undefined || forwardedFor !== undefined;
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  if (!path.startsWith('/') || BAD_PATH.test(path) || path.length > 512) {
    throw new CpError('CP_ERR_BAD_PATH', 'malformed request path');
  }
  if (state.shuttingDown) {
    throw new CpError('CP_ERR_SHUTTING_DOWN', 'the control plane is shutting down');
  }
  const found = match(state.table, path);
  if (found.routes.length === 0) throw new CpError('CP_ERR_NOT_FOUND', 'no such route');
  const idx = found.routes.findIndex((c) => c.route.method === method);
  if (idx === -1) {
    throw new CpError('CP_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here`, {
      allowed: found.routes.map((c) => c.route.method),
    });
  }
  const compiled = found.routes[idx] as CompiledRoute;
  const params = found.params[idx] as Record<string, string>;
  const route = compiled.route;
  req.named?.(compiled.name);
  let identity: PeerIdentity | null = null;
  // Cached per connection: one TLS connection, one verified peer.
  const peer =
    route.auth === 'mtls' || forwarding
      ? socket === undefined
        ? null
        : peerIdentity(socket, cacheKey)
      : null;
  if (forwarding && !isReplicaPeer(peer)) {
    throw new CpError(
      'CP_ERR_FORWARD_FORBIDDEN',
      'only a control plane replica may forward a request; connect without x-nixfleet-forwarded-cert and x-nixfleet-forwarded-for',
      {
        header:
          forwardedCert !== undefined ? 'x-nixfleet-forwarded-cert' : 'x-nixfleet-forwarded-for',
      },
    );
  }
  if (route.auth === 'mtls') {
    identity = peer;
    if (isReplicaPeer(peer)) {
      if (forwardedCert === undefined) {
        throw new CpError(
          'CP_ERR_FORWARD_FORBIDDEN',
          `a replica certificate is no caller of ${compiled.name}; a replica forwards its client's certificate`,
          { route: compiled.name },
        );
      }
      identity = state.forwarded.identity(forwardedCert, Date.now());
    }
    // The authorization table's cell for this caller kind, before the body is read.
    const verdict = authorize(route.access, identity);
    if (verdict instanceof CpError) throw verdict;
    const revoked = identity === null ? null : revocationOf(identity, state.revocations);
    if (identity !== null && revoked !== null) {
      throw new CpError('CP_ERR_CERT_REVOKED', `certificate for ${identity.cn} is revoked`, {
        cn: identity.cn,
        revokedBefore: new Date(revoked.notBefore).toISOString(),
      });
    }
  }
  return { compiled, params, identity, path, query: q === -1 ? '' : rawPath.slice(q + 1) };
}

/** What reading a POST body needs from the edge. */
export interface BodyDeps {
  readonly bodyLimitBytes: number;
  readonly limits: EdgeLimits;
  readonly report: (r: LimitReport) => void;
  readonly chargeEvent: (cn: string, bytes: number) => void;
  /** Told while the body is being read, so a refusal can reset the stream instead of draining it. */
  readonly unread: (v: boolean) => void;
  /** The client a replica forwards for (its `x-nixfleet-forwarded-for`), named in reports. */
  readonly forwardedFor?: string | null;
}

/** The POST body of `stream`, read within bounds, parsed and validated; throws the refusal. */
export async function readCheckedBody(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  contract: ContractName | undefined,
  identity: PeerIdentity | null,
  deps: BodyDeps,
): Promise<unknown> {
  const { limits, report, chargeEvent, unread } = deps;
  const ct = String(headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(ct)) {
    throw new CpError('CP_ERR_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
      received: ct.slice(0, 64),
    });
  }
  unread(true);
  const buf = await readBody(stream, Number(headers['content-length'] ?? NaN), {
    limit: bodyLimitFor(contract, deps.bodyLimitBytes),
    idleMs: limits.bodyIdleTimeoutMs,
    totalMs: limits.bodyTimeoutMs,
    onTimeout: (reason) => {
      const socket = stream.session?.socket;
      const via = `${socket?.remoteAddress ?? '?'}:${socket?.remotePort ?? '?'}`;
      report({
        scope: 'stream',
        reason,
        peer: deps.forwardedFor ? `${deps.forwardedFor.slice(0, 64)} via ${via}` : via,
        identity: identity === null ? null : `cn:${identity.cn}`,
      });
    },
  });
  unread(false);
  if (contract === 'agent-event' && identity !== null) {
    chargeEvent(identity.cn, buf.length);
  }
  let body = parseJson(buf, limits.jsonMaxDepth);
  if (contract !== undefined) {
    let result;
    try {
      result = validateContract(contract, body);
    } catch (e) {
      throw new CpError('CP_ERR_SCHEMA_INVALID', 'body could not be validated', {
        contract: contract,
        issues: [{ path: '(root)', message: (e as Error).message.slice(0, 200) }],
      });
    }
    if (!result.ok) {
      throw new CpError('CP_ERR_SCHEMA_INVALID', `body does not match the ${contract} contract`, {
        contract: contract,
        issues: result.errors.slice(0, 20),
      });
    }
    if (STORED_CONTRACTS.has(contract)) body = dropUnknown(contract, body);
  }
  return body;
}
