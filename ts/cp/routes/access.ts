// The control plane's one authorization table: for every route, what each
// kind of caller may do (no certificate, an agent certificate, an operator
// certificate), and the pure function that reads it. The server derives each
// route's certificate requirement from its row, the edge refuses a denied
// cell before reading the body, and the main thread checks it again before
// the handler runs. A route missing from the table cannot be served (the
// server refuses to start), so a new route is denied until someone decides.
// Pure: no I/O, no clock.
import { CpError } from '../errors.ts';
import type { PeerIdentity } from '../pki/identity.ts';
import type { RouteAuth } from '../server/types.ts';

/**
 * What the certificate alone says about an operator: it may read every view.
 * What it may do is its role in the signed fleet's `operators`
 * (ts/core/rollout/operator.ts), looked up per action.
 */
export type OperatorRole = 'operator';

/** Who is calling, from the verified client certificate. */
export type Caller =
  | { readonly kind: 'none' }
  /** An agent certificate: its CN is the host it speaks for. */
  | { readonly kind: 'agent'; readonly host: string }
  /** `CN=operator:<name>` (the CN `nixfleet mint-operator-cert` issues). */
  | { readonly kind: 'operator'; readonly name: string; readonly role: OperatorRole };

/** The caller kinds, the table's columns. */
export type CallerKind = Caller['kind'];

/**
 * One cell. `allow`: any caller of this kind. `own`: an agent, on its own
 * host's resources only; the route names the host it touches and refuses any
 * other (403 `CP_ERR_CN_MISMATCH`, or `CP_ERR_FORBIDDEN` for a rollout the
 * host is not part of). `token`: no certificate consulted, the body carries
 * a bootstrap token. `deny`: refused before the body is read.
 */
export type Cell = 'allow' | 'own' | 'token' | 'deny';

/** One row: a route and its cell per caller kind. */
export interface AccessRow {
  readonly route: string;
  readonly none: Cell;
  readonly agent: Cell;
  readonly operator: Cell;
}

const OPEN = { none: 'allow', agent: 'allow', operator: 'allow' } as const;
const TOKEN = { none: 'token', agent: 'token', operator: 'token' } as const;
const AGENT_ONLY = { none: 'deny', agent: 'own', operator: 'deny' } as const;
const OPERATOR_ONLY = { none: 'deny', agent: 'deny', operator: 'allow' } as const;

/** The table (docs/control-plane.md "Authorization" shows it as a table). */
export const ACCESS_TABLE: readonly AccessRow[] = [
  { route: 'GET /healthz', ...OPEN },
  { route: 'GET /metrics', ...OPEN },
  { route: 'POST /v1/enroll', ...TOKEN },
  { route: 'POST /v1/agent/bootstrap-report', ...TOKEN },
  { route: 'POST /v1/agent/renew', ...AGENT_ONLY },
  { route: 'GET /v1/agent/dispatch', ...AGENT_ONLY },
  { route: 'POST /v1/agent/events', ...AGENT_ONLY },
  { route: 'POST /v1/agent/heartbeat', ...AGENT_ONLY },
  { route: 'GET /v1/rollouts/:id', none: 'deny', agent: 'own', operator: 'allow' },
  { route: 'GET /v1/rollouts', ...OPERATOR_ONLY },
  { route: 'GET /v1/rollouts/:id/events', ...OPERATOR_ONLY },
  { route: 'GET /v1/rollouts/:id/trace', ...OPERATOR_ONLY },
  { route: 'GET /v1/hosts', ...OPERATOR_ONLY },
  { route: 'GET /v1/channels/:name', ...OPERATOR_ONLY },
  { route: 'GET /v1/deferrals', ...OPERATOR_ONLY },
  { route: 'GET /v1/whoami', none: 'deny', agent: 'allow', operator: 'allow' },
  // Which operator may take which action is the signed fleet's `operators`
  // (checked by the core after the body is read): the table admits operator
  // certificates only, so agents and anonymous callers never reach it.
  { route: 'POST /v1/rollouts/:id/actions', ...OPERATOR_ONLY },
  { route: 'POST /v1/channels/:name/actions', ...OPERATOR_ONLY },
];

/** Refusals counted by `nixfleet_cp_auth_refused_total{code}`. */
export const AUTH_REFUSALS: ReadonlySet<string> = new Set([
  'CP_ERR_CLIENT_CERT_REQUIRED',
  'CP_ERR_CLIENT_CERT_USAGE',
  'CP_ERR_CERT_REVOKED',
  'CP_ERR_FORBIDDEN',
  'CP_ERR_FORWARD_FORBIDDEN',
  'CP_ERR_FORWARDED_CERT_INVALID',
]);

/** The CN prefix of operator certificates (`:` cannot occur in a host name). */
export const OPERATOR_CN_PREFIX = 'operator:';

/**
 * The CN prefix of the certificate a replica mints itself to forward
 * requests to the leader (docs/design/replicas.md). It names no caller: a
 * replica acts only for the client whose certificate it forwards.
 */
export const REPLICA_CN_PREFIX = 'replica:';

/**
 * The caller a verified identity stands for. A certificate without the
 * clientAuth extended key usage stands for nobody.
 *
 * @example callerOf({ cn: 'operator:alice', clientAuth: true, ... }) // → { kind: 'operator', name: 'alice', role: 'operator' }
 */
export function callerOf(identity: PeerIdentity | null): Caller {
  if (identity === null || !identity.clientAuth) return { kind: 'none' };
  if (identity.cn.startsWith(REPLICA_CN_PREFIX)) return { kind: 'none' };
  if (identity.cn.startsWith(OPERATOR_CN_PREFIX)) {
    const name = identity.cn.slice(OPERATOR_CN_PREFIX.length);
    return name === '' ? { kind: 'none' } : { kind: 'operator', name, role: 'operator' };
  }
  return { kind: 'agent', host: identity.cn };
}

/** An authorization table by route name ("GET /v1/hosts"). */
export type AccessTable = ReadonlyMap<string, AccessRow>;

/** The table the control plane serves with. */
export const CP_ACCESS: AccessTable = new Map(ACCESS_TABLE.map((r) => [r.route, r]));

/**
 * The row of `route`. Throws for a route the table does not list: the
 * server refuses to start rather than serve a route nobody decided on.
 */
export function accessRow(table: AccessTable, route: string): AccessRow {
  const row = table.get(route);
  if (row === undefined) {
    throw new CpError('CP_ERR_CONFIG', `route ${route} has no row in the authorization table`);
  }
  return row;
}

/**
 * How a route authenticates, derived from its row: `none` when anyone may
 * call it, `bootstrap` when a token in the body decides, else `mtls`.
 */
export function routeAuth(row: AccessRow): RouteAuth {
  if (row.none === 'allow') return 'none';
  if (row.none === 'token') return 'bootstrap';
  return 'mtls';
}

/**
 * The cell that lets `identity` call `route`, or the refusal: 401
 * `CP_ERR_CLIENT_CERT_REQUIRED` without a certificate, 401
 * `CP_ERR_CLIENT_CERT_USAGE` for one without the clientAuth extended key
 * usage, 403 `CP_ERR_FORBIDDEN` for a caller kind the row denies.
 *
 * @example authorize(accessRow(CP_ACCESS, 'GET /v1/hosts'), agentIdentity) // → CpError CP_ERR_FORBIDDEN
 */
export function authorize(
  row: AccessRow,
  identity: PeerIdentity | null,
): { readonly caller: Caller; readonly cell: Cell } | CpError {
  const route = row.route;
  const caller = callerOf(identity);
  const cell = row[caller.kind];
  if (cell !== 'deny') return { caller, cell };
  if (identity !== null && !identity.clientAuth) {
    return new CpError(
      'CP_ERR_CLIENT_CERT_USAGE',
      `the certificate for ${identity.cn.slice(0, 64)} lacks the clientAuth extended key usage; re-enroll the host or mint a new operator certificate (nixfleet mint-operator-cert)`,
      { cn: identity.cn.slice(0, 64) },
    );
  }
  if (caller.kind === 'none') {
    return new CpError(
      'CP_ERR_CLIENT_CERT_REQUIRED',
      'a client certificate issued by the fleet CA is required',
    );
  }
  const use =
    caller.kind === 'agent'
      ? 'use an operator certificate (nixfleet mint-operator-cert)'
      : 'operator certificates may not act as an agent';
  return new CpError(
    'CP_ERR_FORBIDDEN',
    `a${caller.kind === 'agent' ? 'n agent' : 'n operator'} certificate may not call ${route}; ${use}`,
    { route, caller: caller.kind },
  );
}
