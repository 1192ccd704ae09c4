// The operator API of the control plane, typed by the contracts: one method
// per read route, each answer validated against its generated schema. Owns
// the mapping of answers to CLI errors (an ApiError body becomes
// CLI_ERR_CP_REFUSED with the CP's code; anything off-contract becomes
// CLI_ERR_CP_BAD_RESPONSE). Never hand-writes a response shape.
import {
  formatIssues,
  validateContract,
  type ApiChannel,
  type ApiDeferrals,
  type ApiHealth,
  type ApiHosts,
  type ApiRolloutEvents,
  type ApiRollouts,
  type ApiRolloutAction,
  type ApiRolloutTrace,
  type ApiWhoami,
  type ContractName,
  type ContractTypes,
} from '../../contracts/index.ts';
import { CliError } from '../errors.ts';
import type { HttpResponse } from './h2-transport.ts';

/** What the client needs from a transport (H2Transport, or a test double). */
export interface Transport {
  readonly origin: string;
  get(path: string, options?: { readonly signal?: AbortSignal }): Promise<HttpResponse>;
  post(
    path: string,
    json: unknown,
    options?: { readonly signal?: AbortSignal },
  ): Promise<HttpResponse>;
  close(): void;
}

/** Per-call options. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** The operator API. */
export class CpClient {
  private readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** `https://host:port` of the CP. */
  get origin(): string {
    return this.transport.origin;
  }

  /** Closes the connection. */
  close(): void {
    this.transport.close();
  }

  /** GET /v1/hosts. */
  hosts(o: CallOptions = {}): Promise<ApiHosts> {
    return this.call('/v1/hosts', 'api-hosts', o);
  }

  /** GET /v1/rollouts. */
  rollouts(o: CallOptions = {}): Promise<ApiRollouts> {
    return this.call('/v1/rollouts', 'api-rollouts', o);
  }

  /** GET /v1/rollouts/{id}/events[?after=seq]. */
  rolloutEvents(
    id: string,
    o: CallOptions & { readonly after?: number } = {},
  ): Promise<ApiRolloutEvents> {
    const q = o.after !== undefined ? `?after=${o.after}` : '';
    return this.call(`/v1/rollouts/${segment(id)}/events${q}`, 'api-rollout-events', o);
  }

  /** GET /v1/rollouts/{id}/trace. */
  rolloutTrace(id: string, o: CallOptions = {}): Promise<ApiRolloutTrace> {
    return this.call(`/v1/rollouts/${segment(id)}/trace`, 'api-rollout-trace', o);
  }

  /** GET /v1/channels/{name}. */
  channel(name: string, o: CallOptions = {}): Promise<ApiChannel> {
    return this.call(`/v1/channels/${segment(name)}`, 'api-channel', o);
  }

  /** GET /v1/deferrals. */
  deferrals(o: CallOptions = {}): Promise<ApiDeferrals> {
    return this.call('/v1/deferrals', 'api-deferrals', o);
  }

  /** GET /v1/whoami. */
  whoami(o: CallOptions = {}): Promise<ApiWhoami> {
    return this.call('/v1/whoami', 'api-whoami', o);
  }

  /**
   * POST /v1/rollouts/{id}/actions, or /v1/channels/{name}/actions: an
   * operator action (contract api-rollout-action).
   */
  async rolloutAction(
    target: { readonly rolloutId: string } | { readonly channel: string },
    body: { readonly action: ApiRolloutAction['action']; readonly reason: string },
    o: CallOptions = {},
  ): Promise<ApiRolloutAction> {
    const path =
      'rolloutId' in target
        ? `/v1/rollouts/${segment(target.rolloutId)}/actions`
        : `/v1/channels/${segment(target.channel)}/actions`;
    const res = await this.transport.post(path, body, o.signal ? { signal: o.signal } : {});
    return decodeAnswer(res, { path, contract: 'api-rollout-action', method: 'POST' });
  }

  /** GET /healthz. */
  health(o: CallOptions = {}): Promise<ApiHealth> {
    return this.call('/healthz', 'api-health', o);
  }

  private async call<N extends ContractName>(
    path: string,
    contract: N,
    o: CallOptions,
  ): Promise<ContractTypes[N]> {
    const res = await this.transport.get(path, o.signal ? { signal: o.signal } : {});
    return decodeAnswer(res, { path, contract });
  }
}

/**
 * Turns one HTTP answer into the contract value, or throws the CLI error it
 * stands for. Exported for tests of the mapping itself.
 *
 * @example decodeAnswer({ status: 200, contentType: 'application/json', body }, { path: '/v1/hosts', contract: 'api-hosts' })
 */
export function decodeAnswer<N extends ContractName>(
  res: HttpResponse,
  where: { readonly path: string; readonly contract: N; readonly method?: 'GET' | 'POST' },
): ContractTypes[N] {
  const { path, contract } = where;
  const method = where.method ?? 'GET';
  const parsed = parseJson(res.body);
  if (res.status >= 400) {
    const e = parsed.ok ? validateContract('api-error', parsed.value) : null;
    if (e?.ok) {
      const { code, message, issues } = e.value.error;
      const detail = issues !== undefined && issues.length > 0 ? `\n${formatIssues(issues)}` : '';
      throw new CliError(
        'CLI_ERR_CP_REFUSED',
        `${method} ${path}: ${res.status} ${code}: ${message}${detail}`,
        {
          hint: refusalHint(res.status, code),
          context: { path, status: res.status, cpCode: code },
        },
      );
    }
    // Off-contract, but name what the CP meant when it said so.
    const loose = parsed.ok ? looseError(parsed.value) : null;
    const said = loose === null ? snippet(res.body) : `it said ${loose}`;
    throw new CliError(
      'CLI_ERR_CP_BAD_RESPONSE',
      `${method} ${path}: ${res.status} without the api-error contract body (${said})`,
      {
        hint: 'is cp_url the NixFleet control plane (and not a proxy or another service)?',
        context: { path, status: res.status },
      },
    );
  }
  if (res.status !== 200) {
    throw new CliError(
      'CLI_ERR_CP_BAD_RESPONSE',
      `${method} ${path}: unexpected status ${res.status}`,
      {
        context: { path, status: res.status },
      },
    );
  }
  if (!parsed.ok) {
    throw new CliError(
      'CLI_ERR_CP_BAD_RESPONSE',
      `${method} ${path}: answer is not JSON (${snippet(res.body)})`,
      {
        hint: 'is cp_url the NixFleet control plane?',
        context: { path },
      },
    );
  }
  const v = validateContract(contract, parsed.value);
  if (!v.ok) {
    throw new CliError(
      'CLI_ERR_CP_BAD_RESPONSE',
      `${method} ${path}: answer violates the ${contract} contract:\n${formatIssues(v.errors)}`,
      {
        hint: 'the CP and this CLI disagree on the contract; upgrade the older one',
        context: { path, contract, issues: v.errors },
      },
    );
  }
  return v.value;
}

/**
 * A path segment as the CP's router takes it: ids and names are plain
 * `[a-z0-9@._-]` (the CP refuses any percent-encoding), so anything else is
 * refused here rather than sent.
 */
function segment(value: string): string {
  if (!/^[A-Za-z0-9@._-]+$/.test(value) || value === '.' || value === '..') {
    throw new CliError('CLI_ERR_USAGE', `${JSON.stringify(value)} cannot be part of a CP path`);
  }
  return value;
}

function looseError(value: unknown): string | null {
  const e = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof e?.code !== 'string') return null;
  return `${e.code}: ${typeof e.message === 'string' ? e.message : ''}`;
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

function snippet(body: Buffer): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim();
  if (text === '') return 'empty body';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function refusalHint(status: number, code: string): string {
  if (status === 401)
    return 'the CP did not accept the client certificate: mint one with `nixfleet mint-operator-cert`';
  if (code === 'CP_ERR_ROLE_FORBIDDEN' || code.startsWith('CP_ERR_OPERATOR'))
    return 'who may act is the signed fleet: operators.<name>.role in fleet.nix (docs/operators.md, Roles)';
  if (status === 403) return `the CP refused this identity (${code}); check \`nixfleet whoami\``;
  if (status === 409)
    return 'nothing was changed; `nixfleet rollout show <id>` shows the rollout and what it waits for';
  if (status === 404) return 'no such object: `nixfleet rollout list` shows known rollouts';
  if (status === 503) return 'the CP is starting or has no verified fleet yet; retry shortly';
  return 'see the CP log for this error code';
}
