// The agent's view of the control-plane routes (RFC-0003 §4, RFC-0005 §4).
// Owns status classification and contract validation of every response:
// anything that is not the contract is AGENT_ERR_CP_PROTOCOL, never trusted.
// Must never act on a response; it only returns typed values.
import {
  validateContract,
  formatIssues,
  type AgentEvent,
  type BootstrapReport,
  type CertificateResponse,
  type Dispatch,
  type EnrollRequest,
  type Heartbeat,
  type RenewRequest,
} from '../../contracts/index.ts';
import { AgentError } from '../errors.ts';
import type { DeliveryOutcome } from '../queue/outbox.ts';
import type { CpTransport } from './failover.ts';
import type { HttpResponse } from './h2-client.ts';

/** Result of one long-poll. */
export type DispatchPoll =
  { readonly kind: 'dispatch'; readonly dispatch: Dispatch } | { readonly kind: 'none' };

/** Result of fetching a rollout manifest. */
export type ManifestFetch =
  | { readonly kind: 'ok'; readonly bytes: Uint8Array; readonly signature: Uint8Array }
  | { readonly kind: 'not-found' }
  /** 503 or network: try again later. */
  | { readonly kind: 'unavailable'; readonly detail: string };

/** Replay request from a heartbeat answer: rollout → last seq the CP holds. */
export type ReplayRequest = ReadonlyMap<string | null, number>;

/** What the agent reads from a heartbeat answer. */
export interface HeartbeatAnswer {
  readonly replay: ReplayRequest | null;
  /** Rollouts the CP says an operator aborted (advisory: core/host/abort.ts decides). */
  readonly abortedRollouts: readonly string[];
}

/**
 * The `abortedRollouts` of a heartbeat answer; empty when the body is absent
 * or not a heartbeat-reply, which leaves the agent as it was: an abort it
 * cannot read is one it does not act on.
 */
function abortedRolloutsOf(body: Buffer): readonly string[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return [];
  }
  const v = validateContract('heartbeat-reply', value);
  return v.ok ? (v.value.abortedRollouts ?? []) : [];
}

/** The CP's `error.code` (`CP_ERR_…`) of an error body, or null. */
function cpCodeOf(body: Buffer): string | null {
  try {
    const code = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && /^CP_ERR_[A-Z_]{1,60}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

function statusError(res: HttpResponse, what: string): AgentError {
  const text = res.body.toString('utf8').slice(0, 300);
  return new AgentError('AGENT_ERR_CP_STATUS', `${what}: HTTP ${res.status} ${text}`, {
    context: { status: res.status, cpCode: cpCodeOf(res.body) },
  });
}

function parseJson(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch (e) {
    throw new AgentError('AGENT_ERR_CP_PROTOCOL', `${what}: response is not JSON`, { cause: e });
  }
}

/**
 * Parses `X-Nixfleet-Replay-From`: a bare seq (applies to the rollout the
 * heartbeat names last), `rollout=seq` pairs separated by commas, or a JSON
 * object. Returns `null` when absent or unreadable.
 *
 * @example parseReplayFrom('stable@abc=4') // Map { 'stable@abc' => 4 }
 */
export function parseReplayFrom(header: string | string[] | undefined): ReplayRequest | null {
  if (header === undefined) return null;
  const text = (Array.isArray(header) ? header.join(',') : header).trim();
  if (/^\d+$/.test(text)) return new Map([[null, Number(text)]]);
  const out = new Map<string | null, number>();
  if (text.startsWith('{')) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, unknown>)) {
        if (typeof v === 'number' && Number.isInteger(v)) out.set(k, v);
      }
    } catch {
      return null;
    }
    return out.size > 0 ? out : null;
  }
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*[=:]\s*(\d+)\s*$/.exec(part);
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out.size > 0 ? out : null;
}

/** Typed control-plane routes over a {@link CpTransport}. */
export class CpApi {
  constructor(
    private readonly http: CpTransport,
    private readonly hostname: string,
    private readonly longPollTimeoutMs: number,
  ) {}

  /** The underlying HTTP client (TLS swaps after renewal). */
  get client(): CpTransport {
    return this.http;
  }

  /**
   * Long-polls `GET /v1/agent/dispatch`. 204 or an empty body: nothing
   * queued. A body that is not a Dispatch throws AGENT_ERR_CP_PROTOCOL.
   */
  async pollDispatch(signal?: AbortSignal): Promise<DispatchPoll> {
    const res = await this.http.request({
      method: 'GET',
      path: `/v1/agent/dispatch?hostname=${encodeURIComponent(this.hostname)}&wait=${Math.max(1, Math.round(this.longPollTimeoutMs / 1000))}`,
      timeoutMs: this.longPollTimeoutMs + 15_000,
      signal,
    });
    if (res.status === 204 || (res.status === 200 && res.body.length === 0)) {
      return { kind: 'none' };
    }
    if (res.status !== 200) throw statusError(res, 'dispatch long-poll');
    let value = parseJson(res, 'dispatch long-poll');
    if (value === null) return { kind: 'none' };
    if (typeof value === 'object' && value !== null && 'dispatch' in value) {
      value = (value as { dispatch: unknown }).dispatch;
      if (value === null) return { kind: 'none' };
    }
    const v = validateContract('dispatch', value);
    if (!v.ok) {
      throw new AgentError(
        'AGENT_ERR_CP_PROTOCOL',
        `dispatch long-poll: body is not a Dispatch: ${formatIssues(v.errors)}`,
      );
    }
    return { kind: 'dispatch', dispatch: v.value };
  }

  /** Posts one event; classifies the answer for the outbox. */
  async postEvent(event: AgentEvent, signal?: AbortSignal): Promise<DeliveryOutcome> {
    let res: HttpResponse;
    try {
      res = await this.http.request({
        method: 'POST',
        path: '/v1/agent/events',
        body: event,
        signal,
      });
    } catch (e) {
      return { kind: 'retry', detail: (e as Error).message };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'delivered' };
    const detail = res.body.toString('utf8').slice(0, 300);
    // Over the host's event budget: the event is fine, later is fine too.
    if (res.status === 429) return { kind: 'retry', detail: `HTTP 429 ${detail}` };
    if (res.status >= 400 && res.status < 500)
      return { kind: 'rejected', status: res.status, detail };
    return { kind: 'retry', detail: `HTTP ${res.status} ${detail}` };
  }

  /** Posts a heartbeat; returns the CP's replay request, if any. */
  async postHeartbeat(hb: Heartbeat, signal?: AbortSignal): Promise<HeartbeatAnswer> {
    const res = await this.http.request({
      method: 'POST',
      path: '/v1/agent/heartbeat',
      body: hb,
      signal,
    });
    if (res.status < 200 || res.status >= 300) throw statusError(res, 'heartbeat');
    return {
      replay: parseReplayFrom(res.headers['x-nixfleet-replay-from']),
      abortedRollouts: abortedRolloutsOf(res.body),
    };
  }

  /** Fetches a rollout manifest and its raw signature (two negotiated GETs). */
  async fetchManifest(rolloutId: string, signal?: AbortSignal): Promise<ManifestFetch> {
    // Rollout ids are `[a-z0-9_-]+@[0-9a-f]+` (the CP's route filter): sent
    // verbatim; anything else is refused here rather than smuggled in a path.
    if (!/^[a-z0-9_-]+@[0-9a-f]+$/.test(rolloutId)) {
      return { kind: 'not-found' };
    }
    const path = `/v1/rollouts/${rolloutId}`;
    try {
      const json = await this.http.request({ method: 'GET', path, signal });
      if (json.status === 404) return { kind: 'not-found' };
      if (json.status !== 200) {
        return { kind: 'unavailable', detail: `manifest: HTTP ${json.status}` };
      }
      const headerSig = json.headers['x-nixfleet-signature'];
      let signature: Uint8Array;
      if (typeof headerSig === 'string' && headerSig !== '') {
        signature = new Uint8Array(Buffer.from(headerSig, 'base64'));
      } else {
        const sig = await this.http.request({
          method: 'GET',
          path,
          accept: 'application/octet-stream',
          signal,
        });
        if (sig.status === 404) return { kind: 'not-found' };
        if (sig.status !== 200) {
          return { kind: 'unavailable', detail: `manifest signature: HTTP ${sig.status}` };
        }
        signature = new Uint8Array(sig.body);
      }
      return { kind: 'ok', bytes: new Uint8Array(json.body), signature };
    } catch (e) {
      return { kind: 'unavailable', detail: (e as Error).message };
    }
  }

  /** `POST /v1/enroll` (no client certificate). */
  async enroll(req: EnrollRequest, signal?: AbortSignal): Promise<CertificateResponse> {
    return this.certificateCall('/v1/enroll', req, signal);
  }

  /** `POST /v1/agent/renew` (mTLS). */
  async renew(req: RenewRequest, signal?: AbortSignal): Promise<CertificateResponse> {
    return this.certificateCall('/v1/agent/renew', req, signal);
  }

  private async certificateCall(
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<CertificateResponse> {
    const res = await this.http.request({ method: 'POST', path, body, signal });
    if (res.status !== 200 && res.status !== 201) throw statusError(res, path);
    const v = validateContract('certificate-response', parseJson(res, path));
    if (!v.ok) {
      throw new AgentError(
        'AGENT_ERR_CP_PROTOCOL',
        `${path}: body is not a CertificateResponse: ${formatIssues(v.errors)}`,
      );
    }
    return v.value;
  }

  /** `POST /v1/agent/bootstrap-report` (pre-cert failures). */
  async bootstrapReport(report: BootstrapReport, signal?: AbortSignal): Promise<void> {
    const res = await this.http.request({
      method: 'POST',
      path: '/v1/agent/bootstrap-report',
      body: report,
      signal,
    });
    if (res.status < 200 || res.status >= 300) throw statusError(res, 'bootstrap-report');
  }
}
