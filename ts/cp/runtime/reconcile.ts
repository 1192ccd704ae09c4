// Mutator commands that are not agent traffic: the reconcile tick (assemble
// the planner input from memory, run the core's planNext, apply each action
// through the core applier), the heartbeat sweep (core's offline rule →
// unreachable),
// artifact adoption, bootstrap-token consumption and bootstrap reports.
// Must never take a planning decision itself: planNext decides.
import {
  bootstrapNotification,
  heldNotifications,
  admitActions,
  applyPlanAction,
  HELD_MAX_AGE_MS,
  holdDispatches,
  isOffline,
  markPaced,
  planNext,
  releaseHeld,
  toRfc3339,
  type PlanAction,
  type PlannerInput,
} from '../../core/index.ts';
import type { BootstrapReport } from '../../contracts/index.ts';
import {
  fleetMarkCandidates,
  parseTimestamp,
  raiseMarks,
  type MarkCandidate,
} from '../../trust/index.ts';
import type { RevocationRow } from '../storage/types.ts';
import { sidecarMark, type ArtifactSnapshot } from './artifacts.ts';
import { applyCore, type Batch } from './batch.ts';
import { policyOf, type RuntimeDeps } from './deps.ts';
import { applyEffects } from './effects.ts';

/** Summary of one tick (also the `tick` subcommand's first JSONL line). */
export interface TickSummary {
  readonly at: string;
  readonly trigger: string;
  readonly actions: readonly PlanAction[];
  readonly applied: number;
  readonly failed: number;
  readonly decisions: number;
  readonly planMs: number;
  /** Planned dispatches held back by the pacing budget (planned again on the follow-up tick). */
  readonly heldDispatches: number;
}

/** The planner input, assembled from the mutator's memory. */
export function plannerInput(deps: RuntimeDeps): PlannerInput {
  const { state } = deps;
  const fleet = state.artifacts.fleet?.value ?? null;
  const channelRefs = new Map<string, string | null>();
  if (fleet !== null) {
    for (const channel of Object.keys(fleet.channels))
      channelRefs.set(channel, fleet.meta.ciCommit);
  }
  return {
    channelRefs,
    manifests: state.manifestValues,
    fleet: {
      edges: fleet?.edges ?? [],
      channelEdges: fleet?.channelEdges ?? [],
      operators: fleet?.operators ?? {},
    },
    rollouts: state.book,
    hosts: state.hosts,
    liveness: state.liveness,
    quarantines: state.quarantines,
    timings: deps.coreTimings,
  };
}

/**
 * One full reconcile tick: plans every host, applies what the tick policy
 * admits (`only`, `maxDispatches`: core `admitActions`) and keeps the rest
 * as the held plan when told to.
 */
export function runTick(
  deps: RuntimeDeps,
  batch: Batch,
  args: {
    readonly now: number;
    readonly trigger: string;
    /** Plan action kinds to apply (default: all). */
    readonly only?: ReadonlySet<PlanAction['kind']> | null;
    /** Most QueueDispatch actions to apply (the pacer's budget); others wait. */
    readonly maxDispatches?: number;
    /** Keep the dispatches over budget for {@link runHeldStep} (paced automatic ticks). */
    readonly holdRest?: boolean;
    /** Record the planner's decisions (default); `false` keeps the previous ones. */
    readonly explain?: boolean;
    /** The pacer's rate (hosts/s), stated in the decisions of held dispatches. */
    readonly dispatchRate?: number;
  },
): TickSummary {
  const { state, log, metrics } = deps;
  const started = performance.now();
  const explain = args.explain ?? true;
  const plan = planNext(plannerInput(deps), args.now, { layouts: state.layouts, explain });
  const planMs = performance.now() - started;
  // Dispatches over budget are held for paced steps (`holdRest`) or
  // planned again by the next tick.
  const { apply: actions, held } = admitActions(
    plan.actions,
    args.only ?? null,
    args.maxDispatches ?? Number.POSITIVE_INFINITY,
  );
  const heldDispatches = held.length;
  const { applied, failed } = applyActions(deps, batch, actions, args.now);
  if (deps.notifyHeldAfterMs != null) {
    for (const n of heldNotifications(state.book, args.now, deps.notifyHeldAfterMs)) {
      batch.notify(n, null, args.now);
    }
  }
  const heldPlan = args.holdRest ? holdDispatches(plannerInput(deps), held, args.now) : null;
  const lastTickMs = performance.now() - started;
  state.noteTick({
    heldDispatches: heldPlan,
    // A held dispatch is not dispatched: its decision says admission
    // control holds it, with its place in the queue.
    ...(explain
      ? {
          lastDecisions:
            held.length > 0
              ? markPaced(plan.decisions, held, args.dispatchRate ?? 0)
              : plan.decisions,
          lastDecisionsAt: args.now,
        }
      : {}),
    lastTickAt: args.now,
    lastTickMs,
  });
  metrics.ticks.inc({ trigger: args.trigger });
  metrics.tickSeconds.observe(lastTickMs / 1000);
  if (plan.actions.length > 0) {
    log.info(
      {
        trigger: args.trigger,
        actions: plan.actions.length,
        applied,
        failed,
        heldDispatches,
        ms: Math.round(planMs),
      },
      'reconcile tick',
    );
  }
  return {
    at: toRfc3339(args.now),
    trigger: args.trigger,
    actions,
    applied,
    failed,
    decisions: plan.decisions.length,
    planMs,
    heldDispatches,
  };
}

/**
 * Applies plan actions through the core applier (QueueDispatch,
 * PromoteWave, …) or directly (ClearStaleQuarantine), with their effects.
 */
function applyActions(
  deps: RuntimeDeps,
  batch: Batch,
  actions: readonly PlanAction[],
  now: number,
): { applied: number; failed: number } {
  const { state, log, metrics } = deps;
  let applied = 0;
  let failed = 0;
  for (const action of actions) {
    if (action.kind === 'ClearStaleQuarantine') {
      state.clearQuarantine(action.channel, action.closure);
      batch.appendEvent({
        recordedAt: now,
        stream: 'cp',
        rolloutId: null,
        hostname: null,
        agentSeq: null,
        kind: 'QuarantineCleared',
        body: action,
      });
      batch.push({ op: 'deleteQuarantine', channel: action.channel, closure: action.closure });
      applied += 1;
      metrics.planActions.inc({ kind: action.kind, outcome: 'applied' });
      continue;
    }
    const touches =
      action.kind === 'QueueDispatch'
        ? { rolloutId: action.rolloutId, hostname: action.hostname }
        : null;
    const { result, refs } = applyCore(
      state,
      batch,
      touches,
      (model) => applyPlanAction(model, action, now, (id) => policyOf(deps, id)),
      now,
    );
    if (!result.ok) {
      failed += 1;
      metrics.planActions.inc({ kind: action.kind, outcome: 'rejected' });
      log.error(
        { action, code: result.code, reason: result.message },
        'core rejected a plan action',
      );
      continue;
    }
    applied += 1;
    metrics.planActions.inc({ kind: action.kind, outcome: 'applied' });
    applyEffects(deps, batch, result.effects, refs, { now });
  }
  return { applied, failed };
}

/**
 * A paced step that releases dispatches the last full tick planned and held
 * back (core `releaseHeld`), instead of replanning every host; `null` when
 * the held plan went stale (something that may tighten a gate happened) and
 * the caller must run a full tick.
 */
export function runHeldStep(
  deps: RuntimeDeps,
  batch: Batch,
  args: { readonly now: number; readonly trigger: string; readonly maxDispatches: number },
): TickSummary | null {
  const { state, log, metrics } = deps;
  const held = state.tick.heldDispatches;
  if (held === null) return null;
  const started = performance.now();
  const r = releaseHeld(plannerInput(deps), held, args.now, args.maxDispatches, HELD_MAX_AGE_MS);
  const planMs = performance.now() - started;
  if (r.stale) {
    state.noteTick({ heldDispatches: null });
    log.debug({ reason: r.reason }, 'held dispatches stale; replanning');
    return null;
  }
  const { applied, failed } = applyActions(deps, batch, r.actions, args.now);
  const heldDispatches = r.rest?.actions.length ?? 0;
  state.noteTick({ heldDispatches: r.rest, lastTickMs: performance.now() - started });
  metrics.ticks.inc({ trigger: 'paced step' });
  return {
    at: toRfc3339(args.now),
    trigger: args.trigger,
    actions: r.actions,
    applied,
    failed,
    decisions: 0,
    planMs,
    heldDispatches,
  };
}

/** Heartbeat sweep: hosts the core counts offline become unreachable (alert). */
export function sweepLiveness(deps: RuntimeDeps, args: { readonly now: number }): string[] {
  const { state, log } = deps;
  const newly: string[] = [];
  for (const [host, row] of state.liveness) {
    if (isOffline(row, args.now, deps.coreTimings) && !state.unreachable.has(host)) {
      state.markUnreachable(host);
      newly.push(host);
      log.warn(
        { host, lastHeartbeatAt: toRfc3339(row.lastHeartbeatAt), alert: 'HostUnreachable' },
        `host unreachable: missed ${deps.coreTimings.missedHeartbeatsOffline} heartbeats`,
      );
    }
  }
  if (newly.length > 0) deps.requestTick('hosts unreachable');
  return newly;
}

/**
 * Installs a verified artifact snapshot; replays the signed revocations;
 * raises the high-water marks: per channel of the adopted fleet.resolved,
 * and of each adopted sidecar.
 */
export function adoptArtifacts(
  deps: RuntimeDeps,
  batch: Batch,
  args: { readonly snapshot: ArtifactSnapshot; readonly now: number },
): void {
  const { state } = deps;
  const before = state.artifacts;
  state.setArtifacts(args.snapshot);
  const rev = args.snapshot.revocations;
  if (rev !== null && rev !== before.revocations) {
    const rows: RevocationRow[] = rev.value.revocations.map((r) => ({
      hostname: r.hostname,
      notBefore: Date.parse(r.notBefore),
      reason: r.reason,
      revokedBy: r.revokedBy,
    }));
    const next = new Map(rows.map((r) => [r.hostname, r]));
    batch.push({ op: 'replaceRevocations', rows });
    batch.afterCommit(() => state.setRevocations(next));
  }
  const fleet = args.snapshot.fleet;
  const candidates: MarkCandidate[] =
    fleet !== null && fleet !== before.fleet ? fleetMarkCandidates(fleet.value) : [];
  for (const [name, a, b] of [
    ['revocations', args.snapshot.revocations, before.revocations],
    ['bootstrap-nonces', args.snapshot.nonces, before.nonces],
  ] as const) {
    if (a !== null && a !== b) {
      candidates.push({
        channel: sidecarMark(name),
        signedAt: a.signedAt,
        release: `${name}.json`,
      });
    }
  }
  if (candidates.length > 0) {
    const marks = raiseMarks(state.highWater, candidates);
    for (const [channel, m] of marks) {
      const signedAtMs = parseTimestamp(m.signedAt);
      if (state.highWater.get(channel) === m || signedAtMs === null) continue;
      batch.push({
        op: 'raiseHighWater',
        row: { channel, signedAt: m.signedAt, signedAtMs, release: m.release },
      });
    }
    if (marks !== state.highWater) {
      batch.afterCommit(() => state.setHighWater(marks));
    }
  }
  if (args.snapshot.fleet !== before.fleet || args.snapshot.manifests !== before.manifests) {
    deps.requestTick('artifacts adopted');
  }
}

/** Records a pre-certificate failure report in the event log. */
export function recordBootstrapReport(
  batch: Batch,
  args: { readonly report: BootstrapReport; readonly hostname: string; readonly now: number },
): void {
  const { token: _token, ...rest } = args.report as BootstrapReport & { token?: unknown };
  const ref = batch.appendEvent({
    recordedAt: args.now,
    stream: 'bootstrap',
    rolloutId: null,
    hostname: args.hostname,
    agentSeq: null,
    kind: 'BootstrapReport',
    body: rest,
  });
  const alert = bootstrapNotification({
    hostname: args.hostname,
    event: args.report.event,
    at: args.now,
  });
  if (alert !== null) batch.notify(alert, ref, args.now);
}

/** Housekeeping: prunes event_log rows past retention and expired nonces. */
export function prune(deps: RuntimeDeps, batch: Batch, args: { readonly now: number }): void {
  batch.push({ op: 'pruneEvents', before: args.now - deps.timings.eventRetentionMs });
  batch.push({ op: 'pruneTokens', before: args.now });
  deps.state.pruneTokens(args.now);
}
