// Planning of one rollout within a tick: halt handling, wave promotion,
// dispatch of the current wave through the gates (offline → quarantine →
// host edges → disruption budget), catch-up of returning offline hosts and
// the explanations of every host not yet Converged. Must never mutate the
// input; the only mutable state is the tick context.
import {
  budgetUsage,
  disruptionBudgetBlock,
  reserveBudgetSlot,
} from '../gates/disruption-budget.ts';
import { hostEdgeBlock, indexPredecessors, type PredecessorIndex } from '../gates/host-edges.ts';
import { offlineBlock } from '../gates/offline.ts';
import { quarantineBlock } from '../gates/quarantine.ts';
import { wavePolicyOf, wavePromotionBlock } from '../gates/wave-promotion.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import { CONTROL_PLANE, awaitsApproval } from '../rollout/operator.ts';
import type { OperatorMark, RolloutRecord } from '../rollout/types.ts';
import { formatDuration } from '../duration.ts';
import type { DecisionCode } from '../decisions.ts';
import { soakWaiver, waivedEvidence, waveChanges, type WaveChange } from './unchanged.ts';
import {
  decide,
  decideBlocked,
  explainRecord,
  offline,
  type Layout,
  type TickContext,
} from './context.ts';

interface RolloutPlan {
  readonly ctx: TickContext;
  readonly rollout: RolloutRecord;
  readonly manifest: ManifestView;
  readonly layout: Layout;
  readonly records: ReadonlyMap<string, HostRolloutState> | undefined;
  readonly preds: PredecessorIndex;
  /** Whether a wave is unchanged since the superseded rollout (memoised). */
  readonly changeOf: (wave: number) => WaveChange;
}

function planOf(
  ctx: TickContext,
  rollout: RolloutRecord,
  manifest: ManifestView,
  layout: Layout,
): RolloutPlan {
  const records = ctx.input.hosts.get(rollout.rolloutId);
  const preds = indexPredecessors(ctx.input.fleet.edges, layout.waveOf);
  const changeOf = waveChanges(ctx, rollout, manifest, layout);
  return { ctx, rollout, manifest, layout, records, preds, changeOf };
}

/** Gates one undispatched host and dispatches it when every gate passes. */
function tryDispatch(p: RolloutPlan, host: string, wave: number, catchUp: boolean): void {
  const { ctx, rollout } = p;
  const where = { channel: rollout.channel, rollout: rollout.rolloutId, wave, host };
  const target = p.layout.targetOf.get(host) as string;
  const block =
    offlineBlock(host, ctx.input.liveness.get(host), ctx.now, ctx.input.timings) ??
    quarantineBlock(ctx.input.quarantines, rollout.channel, target) ??
    hostEdgeBlock(host, p.preds, p.records, p.layout.waveOf) ??
    disruptionBudgetBlock(ctx.ledger, host);
  if (block !== null) {
    if (ctx.explain) {
      const budgets = block.gate === 'disruption-budget' ? budgetUsage(ctx.ledger, host) : null;
      decideBlocked(ctx, block, where, budgets);
    }
    return;
  }
  reserveBudgetSlot(ctx.ledger, host);
  // Catch-up dispatches gate nothing; they keep the wave's soak.
  const waiver = catchUp ? null : soakWaiver(ctx, host, target, p.changeOf(wave));
  const soakMinutes = waiver !== null ? 0 : (p.manifest.waves[wave]?.soakMinutes ?? 0);
  ctx.actions.push({
    kind: 'QueueDispatch',
    rolloutId: rollout.rolloutId,
    hostname: host,
    channel: rollout.channel,
    wave,
    targetClosure: target,
    issuedAt: ctx.now,
    soakDueAt: ctx.now + soakMinutes * 60_000,
    confirmDeadline: ctx.now + ctx.input.timings.confirmWindowMs,
    catchUp,
  });
  if (!ctx.explain) return;
  decide(ctx, {
    decision: 'dispatch',
    code: catchUp ? 'DISPATCHED_CATCH_UP' : waiver !== null ? 'DISPATCHED_UNCHANGED' : 'DISPATCHED',
    gate: null,
    ...where,
    transition: '(none) -> Pending',
    reason: catchUp
      ? `returned after its wave; dispatched to the current target ${target}`
      : (waiver ?? `all gates passed; dispatching ${target}`),
    budgets: budgetUsage(ctx.ledger, host),
  });
}

/** Dispatches or explains one wave member. */
function planMember(p: RolloutPlan, host: string, wave: number, catchUp: boolean): void {
  const rec = p.records?.get(host);
  if (rec !== undefined) explainRecord(p.ctx, rec);
  else tryDispatch(p, host, wave, catchUp);
}

function planHalted(p: RolloutPlan): void {
  const { ctx, rollout } = p;
  const by = rollout.haltedBy;
  const forward =
    p.manifest.operatorClear === true
      ? `an admin may clear it (nixfleet rollout clear ${rollout.rolloutId}) or release a new version`
      : 'only a new release moves the channel on';
  const why =
    by === null
      ? `rollout ${rollout.state}; ${forward}`
      : by.policy === 'halt'
        ? `host ${by.host} failed; onHealthFailure=halt froze the rollout; ${forward}`
        : `host ${by.host} failed and rolls back; onHealthFailure=rollback-and-halt ends the rollout Reverted; ${forward}`;
  decide(ctx, {
    decision: 'halt',
    code: 'ROLLOUT_HALTED',
    gate: 'health',
    channel: rollout.channel,
    rollout: rollout.rolloutId,
    wave: rollout.currentWave,
    host: null,
    reason: why,
  });
  p.layout.waves.forEach((members, wave) => {
    for (const host of members) {
      const rec = p.records?.get(host);
      if (rec !== undefined) explainRecord(ctx, rec);
      else {
        decide(ctx, {
          decision: 'hold',
          code: 'ROLLOUT_HALTED',
          gate: 'health',
          channel: rollout.channel,
          rollout: rollout.rolloutId,
          wave,
          host,
          reason: `not dispatched: ${why}`,
        });
      }
    }
  });
}

/** "paused by operator:alice 4m ago: 'db migration running'" */
function markText(verb: string, m: OperatorMark, now: number): string {
  const by = m.by === CONTROL_PLANE ? 'the control plane' : `operator:${m.by}`;
  // Whole seconds: a trace reads "4m ago", not "4m0s312ms ago".
  const age = Math.max(0, Math.floor((now - m.at) / 1000) * 1000);
  return `${verb} by ${by} ${formatDuration(age)} ago: '${m.reason}'`;
}

/** The operator hold on a rollout (abort first, then pause), or null. */
function operatorHold(
  r: RolloutRecord,
  now: number,
): { readonly code: DecisionCode; readonly why: string } | null {
  if (r.aborted) {
    return {
      code: 'OPERATOR_ABORTED',
      why: `${markText('aborted', r.aborted, now)}; final: only a new release moves the channel on`,
    };
  }
  if (r.paused) {
    return {
      code: 'OPERATOR_PAUSED',
      why: `${markText('paused', r.paused, now)}; nothing is promoted or dispatched until an operator resumes (nixfleet rollout resume)`,
    };
  }
  return null;
}

/**
 * An operator withholds the rollout: no promotion, no dispatch; hosts already
 * dispatched carry on (activation, soak, probes) and are explained as usual.
 */
function planWithheld(p: RolloutPlan, hold: { code: DecisionCode; why: string }): void {
  const { ctx, rollout } = p;
  const at = { channel: rollout.channel, rollout: rollout.rolloutId };
  decide(ctx, {
    decision: 'hold',
    code: hold.code,
    gate: 'operator',
    ...at,
    wave: rollout.currentWave,
    host: null,
    reason: hold.why,
  });
  p.layout.waves.forEach((members, wave) => {
    for (const host of members) {
      const rec = p.records?.get(host);
      if (rec !== undefined) explainRecord(ctx, rec);
      else
        decide(ctx, {
          decision: 'hold',
          code: hold.code,
          gate: 'operator',
          ...at,
          wave,
          host,
          reason: `not dispatched: ${hold.why}`,
        });
    }
  });
}

/** Holds a manual wave that no operator has approved yet. */
function decideAwaitingApproval(p: RolloutPlan, wave: number, host: string | null): void {
  decide(p.ctx, {
    decision: 'hold',
    code: 'AWAITING_APPROVAL',
    gate: 'operator',
    channel: p.rollout.channel,
    rollout: p.rollout.rolloutId,
    wave,
    host,
    reason: `wave ${wave} waits for an operator's approval (signed policy: approval = "manual"; nixfleet rollout approve ${p.rollout.rolloutId})`,
  });
}

/**
 * Plans one rollout that holds its channel (or was opened this tick).
 *
 * @example planRollout(ctx, record, manifest, layout)
 */
export function planRollout(
  ctx: TickContext,
  rollout: RolloutRecord,
  manifest: ManifestView,
  layout: Layout,
): void {
  const p = planOf(ctx, rollout, manifest, layout);
  const hold = operatorHold(rollout, ctx.now);
  if (hold !== null && rollout.aborted) {
    planWithheld(p, hold);
    return;
  }
  if (rollout.state === 'Failed' || rollout.state === 'Reverted' || rollout.haltedBy !== null) {
    planHalted(p);
    return;
  }
  if (hold !== null) {
    planWithheld(p, hold);
    return;
  }
  if (rollout.state === 'Terminal') {
    // Waves are done; only returning offline hosts are caught up.
    layout.waves.forEach((members, wave) => {
      for (const host of members) planMember(p, host, wave, true);
    });
    return;
  }
  const waveCount = layout.waves.length;
  let w = rollout.currentWave;
  let terminal = waveCount === 0;
  const isOffline = (h: string): boolean => offline(ctx, h);
  const isSeen = (h: string): boolean => ctx.input.liveness.has(h);
  // A wave promoted in this tick starts now.
  let waveStartedAt = rollout.waveStartedAt ?? rollout.openedAt;
  let approvalHeld = false;
  while (!terminal) {
    if (awaitsApproval(rollout, manifest, w)) {
      approvalHeld = true;
      decideAwaitingApproval(p, w, null);
      break;
    }
    const earlier = layout.waves.slice(0, w).flat();
    const prom = wavePromotionBlock({
      wave: w,
      members: layout.waves[w] ?? [],
      earlier,
      records: p.records,
      offline: isOffline,
      seen: isSeen,
      policy: wavePolicyOf(manifest, w),
      waveStartedAt,
      now: ctx.now,
    });
    if (prom.block !== null) {
      decideBlocked(ctx, prom.block, {
        channel: rollout.channel,
        rollout: rollout.rolloutId,
        wave: w,
        host: null,
      });
      break;
    }
    const evidence = prom.evidence + waivedEvidence(p.records, layout.waves[w] ?? [], manifest, w);
    if (w >= waveCount - 1) {
      ctx.actions.push({
        kind: 'MarkRolloutTerminal',
        rolloutId: rollout.rolloutId,
        channel: rollout.channel,
        skippedPending: prom.skippedPending,
      });
      decide(ctx, {
        decision: 'complete',
        code: 'ROLLOUT_COMPLETE',
        gate: 'wave-promotion',
        channel: rollout.channel,
        rollout: rollout.rolloutId,
        wave: w,
        host: null,
        transition: `${rollout.state} -> Terminal`,
        reason: `every online host of every wave Converged; ${evidence}`,
      });
      terminal = true;
      break;
    }
    ctx.actions.push({
      kind: 'PromoteWave',
      rolloutId: rollout.rolloutId,
      fromWave: w,
      toWave: w + 1,
      skipped: prom.skipped,
      skippedPending: prom.skippedPending,
    });
    decide(ctx, {
      decision: 'promote',
      code: 'WAVE_PROMOTED',
      gate: 'wave-promotion',
      channel: rollout.channel,
      rollout: rollout.rolloutId,
      wave: w,
      host: null,
      transition: `wave ${w} -> wave ${w + 1}`,
      reason: evidence,
    });
    w += 1;
    waveStartedAt = ctx.now;
  }
  layout.waves.forEach((members, wave) => {
    if (wave < w || terminal) {
      for (const host of members) planMember(p, host, wave, true);
    } else if (wave === w && approvalHeld) {
      for (const host of members) {
        const rec = p.records?.get(host);
        if (rec !== undefined) explainRecord(ctx, rec);
        else decideAwaitingApproval(p, wave, host);
      }
    } else if (wave === w) {
      for (const host of members) planMember(p, host, wave, false);
    } else {
      for (const host of members) {
        decide(ctx, {
          decision: 'hold',
          code: 'WAVE_NOT_ACTIVE',
          gate: 'wave-promotion',
          channel: rollout.channel,
          rollout: rollout.rolloutId,
          wave,
          host,
          reason: `wave ${wave} waits for wave ${w} to be promoted`,
        });
      }
    }
  });
}
