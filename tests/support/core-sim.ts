// Test support: an in-memory control plane around the pure core (planner +
// reference applier + quarantine view) and scripted agents that report
// through the CP-mirror events. Used by the scenario, property and benchmark
// code; not part of the public API. Pure: time is always passed in.
import type { NormalizedSelector } from '../../ts/contracts/index.ts';
import {
  applyHostEvent,
  applyPlanAction,
  applyRolloutEvent,
  emptyFleetModel,
  type ApplyResult,
  type FleetModel,
} from '../../ts/core/applier.ts';
import type { HostPolicy, ProbeDecl, RemoteHostEvent } from '../../ts/core/host/types.ts';
import type { FleetView, HostLiveness, ManifestView, PlannerInput } from '../../ts/core/inputs.ts';
import { planNext } from '../../ts/core/planner/plan-next.ts';
import type { PlanResult } from '../../ts/core/planner/types.ts';
import {
  decideOperatorAction,
  type OperatorAction,
  type OperatorOutcome,
  type OperatorRequest,
} from '../../ts/core/rollout/operator.ts';
import { rolloutIdOf } from '../../ts/core/rollout/types.ts';
import { DEFAULT_TIMINGS, type CoreTimings, type EpochMs } from '../../ts/core/time.ts';

/** A normalised selector with the given keys set. */
export function sel(partial: Partial<NormalizedSelector>): NormalizedSelector {
  return {
    all: false,
    and: [],
    channel: null,
    hosts: [],
    not: null,
    tags: [],
    tagsAny: [],
    ...partial,
  };
}

/** A syntactically valid closure basename for a host at a ref. */
export function closureOf(host: string, ref: string): string {
  const hash = `${ref}00000000000000000000000000000000`.slice(0, 32).replace(/[^a-z0-9]/g, '0');
  return `${hash}-nixos-system-${host}`;
}

/** Budget declaration for {@link manifestOf}. */
export interface BudgetSpec {
  readonly selector: NormalizedSelector;
  readonly hosts: readonly string[];
  readonly maxInFlight?: number | null;
  readonly maxInFlightPct?: number | null;
}

/** Builds a manifest view: waves as host lists, soak minutes per wave. */
export function manifestOf(args: {
  readonly channel: string;
  readonly ref: string;
  readonly waves: readonly (readonly string[])[];
  readonly soakMinutes?: readonly number[];
  /** Per-wave evidence knobs; absent: the manifest's fail-closed defaults. */
  readonly minSoaked?: readonly number[];
  readonly waitForNeverSeenMinutes?: readonly (number | null)[];
  readonly allowNoEnforceProbes?: readonly boolean[];
  readonly budgets?: readonly BudgetSpec[];
  readonly onHealthFailure?: 'halt' | 'rollback-and-halt';
  /** Per-wave approval; absent: "auto". */
  readonly approval?: readonly ('auto' | 'manual')[];
  readonly operatorClear?: boolean;
}): ManifestView {
  const hostSet = args.waves
    .flatMap((hosts, waveIndex) =>
      hosts.map((hostname) => ({
        hostname,
        waveIndex,
        targetClosure: closureOf(hostname, args.ref),
      })),
    )
    .sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
  return {
    channel: args.channel,
    channelRef: args.ref,
    hostSet,
    waves: args.waves.map((_, i) => ({
      soakMinutes: args.soakMinutes?.[i] ?? 0,
      minSoaked: args.minSoaked?.[i] ?? 1,
      waitForNeverSeenMinutes: args.waitForNeverSeenMinutes?.[i] ?? null,
      allowNoEnforceProbes: args.allowNoEnforceProbes?.[i] ?? false,
      approval: args.approval?.[i] ?? 'auto',
    })),
    onHealthFailure: args.onHealthFailure ?? 'rollback-and-halt',
    operatorClear: args.operatorClear ?? false,
    disruptionBudgets: (args.budgets ?? []).map((b) => ({
      selector: b.selector,
      hosts: [...b.hosts].sort(),
      maxInFlight: b.maxInFlight ?? null,
      maxInFlightPct: b.maxInFlightPct ?? null,
    })),
  };
}

/** In-memory control plane for tests. */
export class Sim {
  readonly model: FleetModel;
  readonly manifests = new Map<string, ManifestView>();
  readonly channelRefs = new Map<string, string | null>();
  readonly liveness = new Map<string, HostLiveness>();
  readonly quarantines = new Map<string, Map<string, { quarantinedAt: EpochMs }>>();
  fleet: FleetView = { edges: [], channelEdges: [] };
  readonly timings: CoreTimings;
  private readonly seqs = new Map<string, number>();

  constructor(timings: Partial<CoreTimings> = {}) {
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
    this.model = emptyFleetModel({ retentionMs: this.timings.rolloutRetentionMs });
  }

  /** Publishes a release: the manifest becomes verified, the ref current. */
  release(m: ManifestView): string {
    const id = rolloutIdOf(m.channel, m.channelRef);
    this.manifests.set(id, m);
    this.channelRefs.set(m.channel, m.channelRef);
    return id;
  }

  /** Marks hosts online at `now`. */
  heartbeat(hosts: readonly string[], now: EpochMs): void {
    for (const h of hosts) this.liveness.set(h, { lastHeartbeatAt: now });
  }

  /** The planner input for the current state. */
  input(): PlannerInput {
    return {
      channelRefs: this.channelRefs,
      manifests: this.manifests,
      fleet: this.fleet,
      rollouts: this.model.book,
      hosts: this.model.hosts,
      liveness: this.liveness,
      quarantines: this.quarantines,
      timings: this.timings,
    };
  }

  /** Host policy of a rollout, from its manifest. */
  policy(rolloutId: string): HostPolicy {
    const m = this.manifests.get(rolloutId);
    return {
      onHealthFailure: m?.onHealthFailure ?? 'rollback-and-halt',
      sustainedFailureMs: this.timings.sustainedFailureMs,
      clockSkewSlackMs: this.timings.clockSkewSlackMs,
    };
  }

  /** Plans one tick and applies every action; throws if one is refused. */
  tick(now: EpochMs): PlanResult {
    const plan = planNext(this.input(), now);
    for (const a of plan.actions) {
      const r = applyPlanAction(this.model, a, now, (id) => this.policy(id));
      if (!r.ok) throw new Error(`action ${a.kind} refused: ${r.code} ${r.message}`);
      this.absorb(r);
      if (a.kind === 'ClearStaleQuarantine') this.quarantines.get(a.channel)?.delete(a.closure);
    }
    return plan;
  }

  private absorb(r: ApplyResult): void {
    if (!r.ok) return;
    for (const e of r.effects) {
      if (e.kind === 'RemoteInsertQuarantine') {
        const q = this.quarantines.get(e.channel) ?? new Map();
        if (!q.has(e.closure)) q.set(e.closure, { quarantinedAt: this.lastNow });
        this.quarantines.set(e.channel, q);
      }
    }
  }

  private lastNow = 0;

  /** Delivers one agent report (CP mirror); assigns the next seq. */
  report(
    rolloutId: string,
    host: string,
    make: (seq: number) => RemoteHostEvent,
    now: EpochMs,
  ): ApplyResult {
    const key = `${rolloutId}/${host}`;
    const seq = (this.seqs.get(key) ?? 1) + 1;
    const event = make(seq);
    this.lastNow = now;
    const r = applyHostEvent(
      this.model,
      { rolloutId, hostname: host, event, policy: this.policy(rolloutId) },
      now,
    );
    if (r.ok) this.seqs.set(key, seq);
    this.absorb(r);
    return r;
  }

  /** Record of a host in a rollout. */
  record(rolloutId: string, host: string) {
    return this.model.hosts.get(rolloutId)?.get(host);
  }

  /** Agent: ack and complete activation at `now` (→ Soaking). */
  activate(rolloutId: string, host: string, now: EpochMs, prior = 'prior'): void {
    const target = this.record(rolloutId, host)?.targetClosure ?? '';
    const priorClosure = closureOf(host, prior);
    this.must(
      this.report(
        rolloutId,
        host,
        (seq) => ({
          kind: 'RemoteDispatchAck',
          seq,
          currentClosureAtDispatch: priorClosure,
          at: now,
        }),
        now,
      ),
    );
    this.must(
      this.report(
        rolloutId,
        host,
        (seq) => ({
          kind: 'RemoteActivationComplete',
          seq,
          observed: target,
          exitCode: 0,
          at: now,
        }),
        now,
      ),
    );
  }

  /** Agent: declare probes and report them passing at `now`. */
  probesPass(
    rolloutId: string,
    host: string,
    now: EpochMs,
    probes: readonly ProbeDecl[] = [ENFORCE],
  ): void {
    this.must(
      this.report(
        rolloutId,
        host,
        (seq) => ({ kind: 'RemoteProbeTopologyDeclared', seq, probes, at: now }),
        now,
      ),
    );
    for (const p of probes) {
      this.must(
        this.report(
          rolloutId,
          host,
          (seq) => ({
            kind: 'RemoteProbeResult',
            seq,
            name: p.name,
            status: 'Pass',
            mode: p.mode,
            failureReason: null,
            at: now,
          }),
          now,
        ),
      );
    }
  }

  /** Agent: converge at `now`. */
  converge(rolloutId: string, host: string, now: EpochMs): ApplyResult {
    const target = this.record(rolloutId, host)?.targetClosure ?? '';
    return this.report(
      rolloutId,
      host,
      (seq) => ({ kind: 'RemoteConverged', seq, currentClosure: target, at: now }),
      now,
    );
  }

  /** Agent: full happy path (activate, probes pass, converge) at `now`. */
  happy(rolloutId: string, host: string, now: EpochMs): void {
    this.activate(rolloutId, host, now);
    this.probesPass(rolloutId, host, now);
    this.must(this.converge(rolloutId, host, now));
  }

  /**
   * An operator action: the core's decision, then its events applied as the
   * CP applies them. Returns the decision.
   */
  act(
    action: OperatorAction,
    rolloutId: string,
    by: string,
    operators: OperatorRequest['operators'],
    now: EpochMs,
    reason = 'test',
  ): OperatorOutcome {
    const out = decideOperatorAction({
      action,
      operator: by,
      operators,
      reason,
      rollout: this.model.book.rollouts[rolloutId],
      manifest: this.manifests.get(rolloutId),
      now,
    });
    if (out.ok) {
      for (const e of out.events) {
        const r = applyRolloutEvent(this.model, e, now);
        if (!r.ok) throw new Error(`operator event ${e.kind} refused: ${r.code} ${r.message}`);
      }
    }
    return out;
  }

  private must(r: ApplyResult): void {
    if (!r.ok) throw new Error(`report refused: ${r.code} ${r.message}`);
  }
}

/** A single enforce-mode HTTP probe. */
export const ENFORCE: ProbeDecl = { name: 'http-ok', kind: 'http', mode: 'enforce' };
