// The pure planner (RFC-0006 §4, RFC-0002 §4): `planNext(input, now)` turns
// verified intent plus observed state into actions and decisions. Owns the
// per-channel loop (supersession queue, channel edges, rollout opening), the
// budget ledger shared by every rollout in the tick, pruning and stale
// quarantine clearing. Must never read the clock, touch I/O or mutate input.
import { addBudgets, emptyBudgetLedger } from '../gates/disruption-budget.ts';
import { channelEdgeBlock, channelOrder, type ChannelView } from '../gates/channel-edges.ts';
import { staleQuarantines } from '../gates/quarantine.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView, PlannerInput } from '../inputs.ts';
import { CONTROL_PLANE, OPENED_PAUSED_REASON, opensPaused } from '../rollout/operator.ts';
import { givesWay } from '../rollout/operator-step.ts';
import { rolloutIdOf, type RolloutRecord } from '../rollout/types.ts';
import { ZERO_COUNTS } from '../rollout/derive.ts';
import type { EpochMs } from '../time.ts';
import { decide, layoutOf, newContext, type Layout, type TickContext } from './context.ts';
import { planRollout } from './rollout-plan.ts';
import type { PlanResult } from './types.ts';

/**
 * Each host's most recent record (latest dispatch) across rollouts that are
 * not pruned: the record that decides whether it holds a budget slot.
 */
export function latestRecords(input: PlannerInput): Map<string, HostRolloutState> {
  const latest = new Map<string, HostRolloutState>();
  for (const [rolloutId, records] of input.hosts) {
    const r = input.rollouts.rollouts[rolloutId];
    if (r !== undefined && r.state === 'Pruned') continue;
    for (const [host, rec] of records) {
      const prev = latest.get(host);
      if (
        prev === undefined ||
        rec.dispatchedAt > prev.dispatchedAt ||
        (rec.dispatchedAt === prev.dispatchedAt && rec.rolloutId > prev.rolloutId)
      ) {
        latest.set(host, rec);
      }
    }
  }
  return latest;
}

/** A not-yet-recorded rollout, as it will be once OpenRollout is applied. */
function openingRecord(
  id: string,
  channel: string,
  ref: string,
  waves: number,
  now: EpochMs,
): RolloutRecord {
  return {
    rolloutId: id,
    channel,
    targetRef: ref,
    state: 'Opening',
    currentWave: 0,
    waveCount: waves,
    counts: ZERO_COUNTS,
    failedHalted: 0,
    acknowledged: 0,
    catchUpHosts: [],
    skipped: [],
    openedAt: now,
    waveStartedAt: now,
    lastTransitionAt: now,
    terminalAt: null,
    supersededAt: null,
    supersededBy: null,
    prunedAt: null,
    haltedBy: null,
  };
}

interface Planned {
  readonly rollout: RolloutRecord;
  readonly manifest: ManifestView;
}

/**
 * Decides, for one channel, whether its latest ref opens a rollout now
 * (supersession queue depth ≤ 1 by construction: only the latest ref is
 * ever considered, intermediate refs are skipped), and returns the rollout
 * to plan this tick.
 */
function planChannel(
  ctx: TickContext,
  channel: string,
  views: Map<string, ChannelView>,
): Planned | null {
  const { input, now } = ctx;
  const holderId = input.rollouts.activeByChannel[channel] ?? null;
  const holder = holderId === null ? undefined : input.rollouts.rollouts[holderId];
  const ref = input.channelRefs.get(channel) ?? null;
  let planned: Planned | null = null;
  const holderManifest = holderId === null ? undefined : input.manifests.get(holderId);
  if (holder !== undefined && holderManifest !== undefined) {
    planned = { rollout: holder, manifest: holderManifest };
  }
  let pendingRef: string | null = null;
  let viewHolder =
    holder === undefined ? null : { rolloutId: holder.rolloutId, state: holder.state };
  if (ref !== null) {
    const id = rolloutIdOf(channel, ref);
    const manifest = input.manifests.get(id);
    const base = { channel, rollout: id, wave: null, host: null };
    if (input.rollouts.rollouts[id] !== undefined) {
      // Already opened (possibly long ago, even pruned): never reopened.
    } else if (
      holder !== undefined &&
      (holder.state === 'Active' || holder.state === 'Converging') &&
      // Aborted (final) and cleared (its failed wave never passes) rollouts
      // never end: the next release takes the channel.
      !givesWay(holder)
    ) {
      pendingRef = ref;
      decide(ctx, {
        ...base,
        decision: 'hold',
        code: 'SUPERSESSION_QUEUED',
        gate: 'supersession',
        reason: `ref ${ref} queued behind ${holder.rolloutId} (${holder.state}); only the latest queued ref is kept`,
      });
    } else if (manifest === undefined) {
      pendingRef = ref;
      decide(ctx, {
        ...base,
        decision: 'hold',
        code: 'MANIFEST_MISSING',
        gate: null,
        reason: `no verified rollout manifest for ${id}; the rollout cannot open`,
      });
    } else {
      const block = channelEdgeBlock(channel, input.fleet.channelEdges, (c) => views.get(c));
      if (block !== null) {
        pendingRef = ref;
        decide(ctx, {
          ...base,
          decision: 'hold',
          code: block.code,
          gate: block.gate,
          reason: block.reason,
        });
      } else {
        const supersedes = holder === undefined ? null : holder.rolloutId;
        const paused = opensPaused(input.rollouts, channel, input.fleet.operators);
        ctx.actions.push({
          kind: 'OpenRollout',
          rolloutId: id,
          channel,
          targetRef: ref,
          waveCount: manifest.waves.length,
          supersedes,
          pausedOnOpen: paused ? OPENED_PAUSED_REASON : null,
        });
        decide(ctx, {
          ...base,
          decision: 'open',
          code: 'ROLLOUT_OPENED',
          gate: null,
          transition: '(none) -> Opening',
          reason:
            supersedes === null
              ? `new ref ${ref}`
              : `new ref ${ref} supersedes ${supersedes} (${holder?.state ?? ''})`,
        });
        const opening = openingRecord(id, channel, ref, manifest.waves.length, now);
        const rollout = paused
          ? { ...opening, paused: { by: CONTROL_PLANE, reason: OPENED_PAUSED_REASON, at: now } }
          : opening;
        planned = { rollout, manifest };
        viewHolder = { rolloutId: id, state: 'Opening' };
        addBudgets(ctx.ledger, manifest, ctx.latest, now, input.timings);
      }
    }
  }
  views.set(channel, { holder: viewHolder, pendingRef });
  return planned;
}

/** Options of {@link planNext}. */
export interface PlanOptions {
  /** Layouts by rolloutId, reused across ticks (manifests are immutable). */
  readonly layouts?: Map<string, Layout>;
  /** Record decisions (default); `false` plans the same actions without them. */
  readonly explain?: boolean;
}

/**
 * The planner: one reconcile tick. Deterministic (same input and `now`,
 * same output) and linear in the number of hosts.
 *
 * @example const { actions, decisions } = planNext(input, now);
 */
export function planNext(input: PlannerInput, now: EpochMs, options: PlanOptions = {}): PlanResult {
  const latest = latestRecords(input);
  const ctx = newContext(input, now, emptyBudgetLedger(), latest, options.explain ?? true);
  const book = input.rollouts;
  for (const id of Object.values(book.activeByChannel)) {
    const m = id === null ? undefined : input.manifests.get(id);
    if (m !== undefined) addBudgets(ctx.ledger, m, latest, now, input.timings);
  }
  const channels = new Set<string>(input.channelRefs.keys());
  for (const r of Object.values(book.rollouts)) channels.add(r.channel);
  const views = new Map<string, ChannelView>();
  const layouts = options.layouts ?? new Map<string, Layout>();
  const plannedTargets = new Map<string, Set<string>>();
  for (const channel of channelOrder([...channels], input.fleet.channelEdges)) {
    const planned = planChannel(ctx, channel, views);
    if (planned === null) continue;
    const id = planned.rollout.rolloutId;
    let layout = layouts.get(id);
    if (layout === undefined) {
      layout = layoutOf(planned.manifest);
      layouts.set(id, layout);
    }
    plannedTargets.set(channel, new Set(layout.targetOf.values()));
    planRollout(ctx, planned.rollout, planned.manifest, layout);
  }
  for (const r of Object.values(book.rollouts).sort((a, b) =>
    a.rolloutId < b.rolloutId ? -1 : 1,
  )) {
    if (r.state !== 'Superseded' || r.supersededAt === null) continue;
    if (now < r.supersededAt + input.timings.rolloutRetentionMs) continue;
    ctx.actions.push({ kind: 'PruneRollout', rolloutId: r.rolloutId });
    decide(ctx, {
      decision: 'prune',
      code: 'RETENTION_EXPIRED',
      gate: null,
      channel: r.channel,
      rollout: r.rolloutId,
      wave: null,
      host: null,
      transition: 'Superseded -> Pruned',
      reason: 'retention elapsed since supersession',
    });
  }
  for (const channel of [...input.quarantines.keys()].sort()) {
    const targets = plannedTargets.get(channel) ?? new Set<string>();
    const windowMs = input.timings.quarantineWindowMs;
    for (const closure of staleQuarantines(input.quarantines, channel, targets, now, windowMs)) {
      ctx.actions.push({ kind: 'ClearStaleQuarantine', channel, closure });
      decide(ctx, {
        decision: 'clear-quarantine',
        code: 'QUARANTINE_STALE',
        gate: 'quarantine',
        channel,
        rollout: null,
        wave: null,
        host: null,
        reason: `${closure} quarantined longer than the window and no longer a target`,
      });
    }
  }
  return { actions: ctx.actions, decisions: ctx.decisions };
}
