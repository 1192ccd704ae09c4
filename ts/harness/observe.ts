// What the harness sees of a run: only the control plane's operator API (the
// same contract-validated client `nixfleet status` uses) and the signed
// manifests in the release directory. Owns evaluating a scenario's wait
// conditions and its invariants; never reaches into a process's memory.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CpClient } from '../cli/client/cp-client.ts';
import { H2Transport } from '../cli/client/h2-transport.ts';
import type { ApiRolloutEvents, HarnessScenario, RolloutManifest } from '../contracts/index.ts';
import { agentKind, eventBody, namesHost } from './event-log.ts';
import type { Published } from './publish.ts';

type Condition = NonNullable<HarnessScenario['steps'][number]['wait']>;

/** Outcome of one evaluation of a condition. */
export interface Verdict {
  readonly ok: boolean;
  readonly detail: string;
}

/** A read-only view of the CP, plus what the run published. */
export class Observer {
  private client: CpClient | null = null;
  private cpUrl: string;

  constructor(
    private readonly options: {
      readonly cpUrl: string;
      readonly caCert: string;
      readonly clientCert: string;
      readonly clientKey: string;
      readonly releaseDir: string;
      readonly hosts: readonly string[];
      readonly published: () => readonly Published[];
    },
  ) {
    this.cpUrl = options.cpUrl;
  }

  /** Reads from another control plane from now on (the replica that leads after a failover). */
  retarget(cpUrl: string): void {
    this.close();
    this.cpUrl = cpUrl;
  }

  /** A fresh client per call after a failure: the CP may have been restarted. */
  private cp(): CpClient {
    if (!this.client) {
      this.client = new CpClient(
        new H2Transport({
          cpUrl: this.cpUrl,
          caCert: this.options.caCert,
          clientCert: this.options.clientCert,
          clientKey: this.options.clientKey,
          timeoutMs: 5_000,
          version: 'harness',
        }),
      );
    }
    return this.client;
  }

  private async safely<T>(f: (c: CpClient) => Promise<T>): Promise<T | Error> {
    try {
      return await f(this.cp());
    } catch (e) {
      this.client?.close();
      this.client = null;
      return e as Error;
    }
  }

  /** The ids of every rollout the CP has opened, or why it could not be read. */
  async rolloutIds(): Promise<ReadonlySet<string> | Error> {
    const r = await this.safely((cp) => cp.rollouts());
    return r instanceof Error ? r : new Set(r.rollouts.map((x) => x.rolloutId));
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  private closureOf(generation: string, host: string): string | null {
    const p = [...this.options.published()].reverse().find((x) => x.generation === generation);
    return p?.closures[host] ?? null;
  }

  /** Evaluates a wait condition once. */
  async check(c: Condition): Promise<Verdict> {
    const targets: readonly string[] = c.hosts && c.hosts.length > 0 ? c.hosts : this.options.hosts;
    if (c.kind === 'rolloutState') {
      const r = await this.safely((cp) => cp.rollouts());
      if (r instanceof Error) return { ok: false, detail: `CP unreachable: ${r.message}` };
      const latest = r.rollouts.find((x) => x.channel === c.channel);
      return {
        ok: latest?.state === c.state,
        detail: `rollout of ${c.channel}: ${latest ? `${latest.rolloutId} ${latest.state}` : 'none'}`,
      };
    }
    if (c.kind === 'hostQuarantined') {
      const ch = await this.safely((cp) => cp.channel(c.channel ?? ''));
      if (ch instanceof Error) return { ok: false, detail: `CP unreachable: ${ch.message}` };
      const want = new Set(
        this.options.hosts
          .map((h) => this.closureOf(c.generation ?? '', h))
          .filter((x): x is string => !!x),
      );
      const have = ch.quarantinedClosures.map((q) => q.closure);
      return {
        ok: have.some((q) => want.has(q)),
        detail: `quarantined on ${c.channel}: [${have.join(', ')}]`,
      };
    }
    if (c.kind === 'cpAlert') {
      const h = await this.safely((cp) => cp.health());
      if (h instanceof Error) return { ok: false, detail: `CP unreachable: ${h.message}` };
      return {
        // A prefix: a flipped byte surfaces as BadSignature, NotCanonical or
        // Malformed depending on where it lands.
        ok: h.alerts.some((a) => c.code != null && a.code.startsWith(c.code)),
        detail: `alerts: [${h.alerts.map((a) => a.code).join(', ')}]`,
      };
    }
    if (c.kind === 'agentRejected') {
      const events = await this.eventsOrEmpty();
      if (events instanceof Error) return { ok: false, detail: events.message };
      const rejected = events
        .filter(
          (e) =>
            agentKind(e) === 'DispatchReject' &&
            // The reason, or the typed error code the detail starts with
            // (`TRUST_ERR_STALE: …` vs `TRUST_ERR_FUTURE_DATED: …`, both reason Stale).
            (!c.code ||
              eventBody(e)['reason'] === c.code ||
              String(eventBody(e)['detail'] ?? '').startsWith(c.code)),
        )
        .map((e) => e.hostname);
      return {
        ok: targets.every((h) => rejected.includes(h)),
        detail: `DispatchReject(${c.code ?? '*'}) from [${rejected.join(', ')}]`,
      };
    }
    if (c.kind === 'decision') return this.checkDecision(c);
    if (c.kind === 'notDispatched') return this.checkNotDispatched(c);
    if (c.kind === 'controlFailed') return this.checkControlFailed(c);
    if (c.kind === 'probeFailed') {
      const events = await this.eventsOrEmpty();
      if (events instanceof Error) return { ok: false, detail: events.message };
      // What the CP logged from the host (RemoteProbeResult, the core's
      // field names), not what the agent logged locally.
      const failed = events
        .filter((e) => {
          const b = eventBody(e);
          return (
            agentKind(e) === 'ProbeResult' &&
            b['status'] === 'Fail' &&
            b['mode'] === 'enforce' &&
            (!c.code || String(b['failureReason'] ?? '').startsWith(c.code))
          );
        })
        .map((e) => e.hostname);
      return {
        ok: targets.every((h) => failed.includes(h)),
        detail: `failing enforce ProbeResult(${c.code ?? '*'}) from [${[...new Set(failed)].join(', ')}]`,
      };
    }
    const hosts = await this.safely((cp) => cp.hosts());
    if (hosts instanceof Error) return { ok: false, detail: `CP unreachable: ${hosts.message}` };
    const rows = new Map(hosts.hosts.map((h) => [h.hostname, h]));
    const bad: string[] = [];
    for (const name of targets) {
      const h = rows.get(name);
      const show = h
        ? `${name}=${h.state ?? '-'}(${h.currentClosure?.slice(33) ?? 'none'})`
        : `${name}=absent`;
      if (c.kind === 'hostsConverged') {
        if (
          !h ||
          h.state !== 'Converged' ||
          h.currentClosure === null ||
          h.currentClosure !== h.declaredClosure
        )
          bad.push(show);
      } else if (c.kind === 'hostState') {
        if (!h || h.state !== c.state) bad.push(show);
      } else if (c.kind === 'hostCurrent') {
        if (!h || h.currentClosure !== this.closureOf(c.generation ?? '', name)) bad.push(show);
      }
    }
    return {
      ok: bad.length === 0,
      detail: bad.length === 0 ? 'all hosts match' : `not yet: ${bad.join(' ')}`,
    };
  }

  /**
   * Every rollout's events, oldest first. Throws when the CP cannot be read:
   * an invariant must never pass because its evidence was unavailable.
   */
  async latestEvents(): Promise<ApiRolloutEvents['events']> {
    const r = await this.safely((cp) => cp.rollouts());
    if (r instanceof Error) throw new Error(`reading rollouts for the invariants: ${r.message}`);
    const out: ApiRolloutEvents['events'] = [];
    for (const ro of r.rollouts) {
      let after = 0;
      for (;;) {
        const ev = await this.safely((cp) => cp.rolloutEvents(ro.rolloutId, { after }));
        if (ev instanceof Error)
          throw new Error(`reading events of ${ro.rolloutId}: ${ev.message}`);
        out.push(...ev.events);
        if (ev.events.length === 0) break;
        after = ev.events[ev.events.length - 1]!.seq;
      }
    }
    return out;
  }

  /** Like {@link latestEvents}, but an unreadable CP is "not yet" for a wait condition. */
  private async eventsOrEmpty(): Promise<ApiRolloutEvents['events'] | Error> {
    try {
      return await this.latestEvents();
    } catch (e) {
      return e as Error;
    }
  }

  /**
   * Condition `decision`: the latest trace of the channel's newest rollout
   * holds a decision with `code` about (its `host`) or whose reason names
   * every one of `hosts`.
   * Naming no host is a failure: the condition is about who is named.
   */
  private async checkDecision(c: Condition): Promise<Verdict> {
    const named = c.hosts ?? [];
    if (named.length === 0 || !c.code)
      return { ok: false, detail: 'decision needs code and hosts' };
    const r = await this.safely((cp) => cp.rollouts());
    if (r instanceof Error) return { ok: false, detail: `CP unreachable: ${r.message}` };
    const latest = r.rollouts.find((x) => x.channel === c.channel);
    if (!latest) return { ok: false, detail: `no rollout of ${c.channel}` };
    const tr = await this.safely((cp) => cp.rolloutTrace(latest.rolloutId));
    if (tr instanceof Error) return { ok: false, detail: `CP unreachable: ${tr.message}` };
    const hit = tr.decisions.find(
      (d) => d.code === c.code && named.every((h) => d.host === h || namesHost(d.reason, h)),
    );
    const codes = [...new Set(tr.decisions.map((d) => d.code))].join(', ');
    return {
      ok: hit !== undefined,
      detail: hit
        ? `${latest.rolloutId}: ${hit.code} ${hit.reason}`
        : `${latest.rolloutId}: [${codes}]`,
    };
  }

  /**
   * Condition `controlFailed`: the trace of the channel's newest rollout (the
   * CP's probe_failures view, what `status` and `watch` read) has a row naming
   * control `code` failing on each of `hosts`.
   */
  private async checkControlFailed(c: Condition): Promise<Verdict> {
    const named = c.hosts ?? [];
    if (named.length === 0 || !c.code)
      return { ok: false, detail: 'controlFailed needs code and hosts' };
    const r = await this.safely((cp) => cp.rollouts());
    if (r instanceof Error) return { ok: false, detail: `CP unreachable: ${r.message}` };
    const latest = r.rollouts.find((x) => x.channel === c.channel);
    if (!latest) return { ok: false, detail: `no rollout of ${c.channel}` };
    const tr = await this.safely((cp) => cp.rolloutTrace(latest.rolloutId));
    if (tr instanceof Error) return { ok: false, detail: `CP unreachable: ${tr.message}` };
    const failures = tr.probeFailures ?? [];
    const rows = failures.filter((f) => f.controlId === c.code);
    const rowsText = failures.map(
      (f) => `${f.hostname}:${f.probe}/${f.controlId ?? '-'}(${f.framework ?? '-'})`,
    );
    return {
      ok: named.every((h) => rows.some((f) => f.hostname === h)),
      detail: `${latest.rolloutId} probeFailures: [${rowsText.join(', ')}]`,
    };
  }

  /** Condition `notDispatched`: no rollout ever dispatched any of `hosts`. */
  private async checkNotDispatched(c: Condition): Promise<Verdict> {
    const named = c.hosts ?? [];
    if (named.length === 0) return { ok: false, detail: 'notDispatched names no host' };
    const events = await this.eventsOrEmpty();
    if (events instanceof Error) return { ok: false, detail: events.message };
    const joined = events.filter((e) => {
      const host = e.kind === 'HostJoined' ? eventBody(e)['hostname'] : e.hostname;
      return (
        (e.kind === 'HostJoined' || agentKind(e) === 'DispatchAck') &&
        typeof host === 'string' &&
        named.includes(host)
      );
    });
    const who = [...new Set(joined.map((e) => e.hostname ?? String(eventBody(e)['hostname'])))];
    return {
      ok: joined.length === 0,
      detail:
        joined.length === 0
          ? `none of [${named.join(', ')}] dispatched (${events.length} events read)`
          : `dispatched: [${who.join(', ')}]`,
    };
  }

  /** A human summary for failure reports: hosts, rollouts, recent decisions. */
  async report(): Promise<string> {
    const lines: string[] = [];
    const hosts = await this.safely((cp) => cp.hosts());
    if (hosts instanceof Error) lines.push(`hosts: CP unreachable (${hosts.message})`);
    else
      for (const h of hosts.hosts)
        lines.push(
          `  ${h.hostname.padEnd(14)} ${String(h.state).padEnd(10)} current=${h.currentClosure?.slice(0, 12) ?? '-'} declared=${h.declaredClosure?.slice(0, 12) ?? '-'} reachable=${h.reachable}`,
        );
    const ro = await this.safely((cp) => cp.rollouts());
    if (!(ro instanceof Error)) {
      for (const r of ro.rollouts.slice(0, 3)) {
        lines.push(`rollout ${r.rolloutId} ${r.state} wave=${r.currentWave ?? '-'}`);
        const tr = await this.safely((cp) => cp.rolloutTrace(r.rolloutId));
        if (!(tr instanceof Error))
          for (const d of tr.decisions.slice(0, 8))
            lines.push(`  ${d.ts} ${d.decision} ${d.code} ${d.host ?? ''} ${d.reason}`);
      }
    }
    return lines.join('\n');
  }

  /** Signed manifests in the release directory, by rollout id. */
  manifests(): Map<string, RolloutManifest> {
    const dir = join(this.options.releaseDir, 'rollouts');
    const out = new Map<string, RolloutManifest>();
    try {
      for (const f of readdirSync(dir)) {
        if (f.endsWith('.json'))
          out.set(
            f.slice(0, -5),
            JSON.parse(readFileSync(join(dir, f), 'utf8')) as RolloutManifest,
          );
      }
    } catch {
      /* no release yet */
    }
    return out;
  }
}
