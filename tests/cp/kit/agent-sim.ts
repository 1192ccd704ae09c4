// A scripted agent for CP tests and the load generator: heartbeats, dispatch
// long-polls and the RFC-0005 §4.2 event sequence of a clean activation, with
// per-rollout seq numbers like the real agent keeps. Wire bodies are typed by
// the contracts (AgentEvent, Heartbeat, Dispatch).
import type { AgentEvent, Dispatch, Heartbeat } from '../../../ts/contracts/index.ts';
import type { H2Client, H2Response } from './client.ts';

/** RFC 3339 UTC without fraction. */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

type EventBody<K extends AgentEvent['kind']> = Omit<
  Extract<AgentEvent, { kind: K }>,
  'kind' | 'rollout_id' | 'hostname' | 'seq'
>;

/** One simulated agent. */
export class SimAgent {
  readonly seqs = new Map<string, number>();
  /** Every event sent, by rollout, for heartbeat-driven replay. */
  readonly sent = new Map<string, Record<string, unknown>[]>();
  current: string | null;

  constructor(
    readonly hostname: string,
    public client: H2Client,
    current: string | null = null,
  ) {
    this.current = current;
  }

  heartbeat(at = Date.now()): Promise<H2Response> {
    const body: Heartbeat = {
      hostname: this.hostname,
      agent_version: '0.2.0',
      current_closure: this.current,
      uptime_secs: 100,
      last_event_seq_by_rollout: Object.fromEntries(this.seqs),
      at: rfc3339(at),
    };
    return this.client.request('/v1/agent/heartbeat', { body });
  }

  /** Long-polls once; the dispatch or null on 204. */
  async poll(waitSecs = 0): Promise<Dispatch | null> {
    const r = await this.client.request(`/v1/agent/dispatch?wait=${waitSecs}`, {
      timeoutMs: (waitSecs + 30) * 1000,
    });
    if (r.status === 204) return null;
    if (r.status !== 200) throw new Error(`dispatch: ${r.status} ${r.body.toString()}`);
    return r.json<Dispatch>();
  }

  /** Posts one event with the next seq for its rollout (seq 1 is the dispatch). */
  send<K extends AgentEvent['kind']>(
    kind: K,
    rolloutId: string,
    body: EventBody<K>,
    options: { readonly seq?: number } = {},
  ): Promise<H2Response> {
    const seq = options.seq ?? (this.seqs.get(rolloutId) ?? 1) + 1;
    if (options.seq === undefined) this.seqs.set(rolloutId, seq);
    const event = { kind, rollout_id: rolloutId, hostname: this.hostname, seq, ...body };
    if (options.seq === undefined) {
      const list = this.sent.get(rolloutId) ?? [];
      list.push(event);
      this.sent.set(rolloutId, list);
    }
    return this.client.request('/v1/agent/events', { body: event });
  }

  /** Re-sends events after the seqs named by `X-Nixfleet-Replay-From`; returns the statuses. */
  async replay(header: string | undefined): Promise<number[]> {
    const statuses: number[] = [];
    for (const part of (header ?? '').split(',')) {
      const m = /^\s*([^=\s]+)=(\d+)\s*$/.exec(part);
      if (!m) continue;
      for (const e of this.sent.get(m[1] as string) ?? []) {
        if ((e['seq'] as number) <= Number(m[2])) continue;
        statuses.push((await this.client.request('/v1/agent/events', { body: e })).status);
      }
    }
    return statuses;
  }

  /** A clean activation of a dispatch: ack → started → complete → topology → converged. */
  async activate(
    d: Dispatch,
    options: {
      readonly converge?: boolean;
      /** Enforce probes (exec) to declare and report passing before converging. */
      readonly enforceProbes?: readonly string[];
    } = {},
  ): Promise<number[]> {
    const probes = options.enforceProbes ?? [];
    const now = rfc3339();
    const statuses: number[] = [];
    const prior = this.current;
    statuses.push(
      (
        await this.send('DispatchAck', d.rollout_id, {
          received_at: now,
          current_closure_at_dispatch: prior,
        })
      ).status,
    );
    statuses.push(
      (
        await this.send('ActivationStarted', d.rollout_id, {
          started_at: now,
          switch_method: 'sandbox',
        })
      ).status,
    );
    this.current = d.target_closure;
    statuses.push(
      (
        await this.send('ActivationComplete', d.rollout_id, {
          completed_at: now,
          observed_current_closure: d.target_closure,
          switch_exit_code: 0,
        })
      ).status,
    );
    statuses.push(
      (
        await this.send('ProbeTopologyDeclared', d.rollout_id, {
          declared_at: now,
          probes: probes.map((name) => ({ name, kind: 'exec', mode: 'enforce' })),
        })
      ).status,
    );
    for (const name of probes) {
      statuses.push(
        (
          await this.send('ProbeResult', d.rollout_id, {
            probe_name: name,
            status: 'Pass',
            observed_at: now,
            failure_reason: null,
            mode: 'enforce',
            sub_results: null,
          })
        ).status,
      );
    }
    if (options.converge !== false) {
      statuses.push(
        (
          await this.send('Converged', d.rollout_id, {
            converged_at: now,
            current_closure: d.target_closure,
          })
        ).status,
      );
    }
    return statuses;
  }
}
