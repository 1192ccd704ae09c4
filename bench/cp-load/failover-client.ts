// A simulated agent's transport to several control-plane replicas: one
// HTTP/2 session per URL (opened when first needed), the URL for each
// request and every switch decided by ts/core/cp-endpoints from the
// attempt's outcome, as the real agent's transport (ts/agent/http/failover.ts)
// does. It counts which replica answered each request and every switch, so
// the benchmark can say where the fleet's requests went.
import {
  initialCpEndpoints,
  onCpAttempt,
  type CpAttemptOutcome,
  type CpEndpointsState,
  type RoundBackoff,
} from '../../ts/core/cp-endpoints/failover.ts';
import {
  connect,
  type H2Client,
  type H2RequestOptions,
  type H2Response,
} from '../../tests/cp/kit/client.ts';

/** The TLS material `connect` takes (ticket resumption included). */
export type ConnectTls = Parameters<typeof connect>[1];

/** Counts of one generator's agents, indexed by replica (the position in the fleet's URL list). */
export interface RouteCounts {
  /** Requests answered by each replica (any HTTP status), after failovers. */
  readonly answered: number[];
  /** Of those, CP_ERR_NOT_LEADER refusals (each followed by a switch). */
  readonly notLeader: number[];
  /** Times an agent moved to its next URL. */
  failovers: number;
  /** Requests every URL failed (a round exhausted). */
  exhausted: number;
}

export function emptyRouteCounts(replicas: number): RouteCounts {
  return {
    answered: new Array<number>(replicas).fill(0),
    notLeader: new Array<number>(replicas).fill(0),
    failovers: 0,
    exhausted: 0,
  };
}

/**
 * The order in which agent `index` tries the fleet's `ports`: rotated by its
 * index, so with two replicas every other agent has the second one first.
 *
 * @example agentPorts([7001, 7002], 3) // [7002, 7001]
 */
export function agentPorts(ports: readonly number[], index: number): number[] {
  const k = ports.length === 0 ? 0 : index % ports.length;
  return [...ports.slice(k), ...ports.slice(0, k)];
}

/** The CP's `error.code` of an error answer, or null. */
function cpCodeOf(r: H2Response): string | null {
  if (r.status < 400 || r.body.length === 0) return null;
  try {
    const code = (JSON.parse(r.body.toString('utf8')) as { error?: { code?: unknown } }).error
      ?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

/** The kit client rejects with `timeout on <path>` when no answer came in time. */
const outcomeOfError = (e: unknown): CpAttemptOutcome => ({
  kind: 'transport',
  reason: String((e as Error)?.message ?? e).startsWith('timeout on') ? 'timeout' : 'unreachable',
});

/**
 * The pause core computes after a failed round; the generator's loops keep
 * their own (a long-poll retries after 1 s, a heartbeat at its next beat).
 */
const BACKOFF: RoundBackoff = { baseMs: 1000, maxMs: 60_000 };

/** One agent's sessions to every replica, switched as core decides. */
export class FailoverH2Client implements H2Client {
  private state: CpEndpointsState;
  private readonly clients: (H2Client | undefined)[];

  constructor(
    /** Ports in this agent's order. */
    private readonly ports: readonly number[],
    /** Index in the fleet's list of each of `ports` (where answers are counted). */
    private readonly replicaOf: readonly number[],
    private readonly tls: ConnectTls,
    private readonly counts: RouteCounts,
  ) {
    this.state = initialCpEndpoints(ports.length);
    this.clients = new Array<H2Client | undefined>(ports.length);
  }

  /** (Re)connects to the URL in use, with `tls` (e.g. a ticket to resume); returns that session. */
  async open(tls: ConnectTls = this.tls): Promise<H2Client> {
    const i = this.state.active;
    this.clients[i]?.session.destroy();
    const c = await connect(this.ports[i] as number, tls);
    this.clients[i] = c;
    return c;
  }

  get session(): H2Client['session'] {
    const c = this.clients[this.state.active] ?? this.clients.find((x) => x !== undefined);
    if (c === undefined) throw new Error('no session open');
    return c.session;
  }

  close(): void {
    for (const c of this.clients) c?.close();
  }

  /** Drops every session at once (a network cut, the end of a phase). */
  destroy(): void {
    for (const c of this.clients) c?.session.destroy();
  }

  private async sessionTo(i: number): Promise<H2Client> {
    const c = this.clients[i];
    if (c !== undefined && !c.session.closed && !c.session.destroyed) return c;
    const fresh = await connect(this.ports[i] as number, this.tls);
    this.clients[i] = fresh;
    return fresh;
  }

  async request(path: string, o?: H2RequestOptions): Promise<H2Response> {
    for (let tried = 1; ; tried++) {
      const at = this.state.active;
      let res: H2Response | null = null;
      let err: unknown = null;
      let outcome: CpAttemptOutcome;
      try {
        res = await (await this.sessionTo(at)).request(path, o);
        outcome = { kind: 'answered', status: res.status, cpCode: cpCodeOf(res) };
      } catch (e) {
        err = e;
        outcome = outcomeOfError(e);
      }
      const replica = this.replicaOf[at] as number;
      if (res !== null) {
        this.counts.answered[replica] = (this.counts.answered[replica] ?? 0) + 1;
        if (outcome.kind === 'answered' && outcome.cpCode === 'CP_ERR_NOT_LEADER') {
          this.counts.notLeader[replica] = (this.counts.notLeader[replica] ?? 0) + 1;
        }
      }
      const next = onCpAttempt(this.state, at, outcome, tried, BACKOFF, Math.random());
      if (next.state.active !== this.state.active) this.counts.failovers += 1;
      this.state = next.state;
      if (next.decision.kind === 'retry') continue;
      if (next.decision.kind === 'exhausted') this.counts.exhausted += 1;
      if (res !== null) return res;
      throw err;
    }
  }
}
