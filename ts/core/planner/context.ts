// Per-tick planning context: the budget ledger, the output buffers, the
// manifest layout and the decision builders shared by the planner modules.
// Owns nothing that outlives one `planNext` call; must never be exported
// from ts/core (callers see only actions and decisions).
import type { Decision, DecisionCode, DecisionKind, GateBlock, GateName } from '../decisions.ts';
import { convergenceBlock } from '../host/probes.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView, PlannerInput } from '../inputs.ts';
import { isOffline } from '../gates/offline.ts';
import type { BudgetLedger } from '../gates/disruption-budget.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import type { PlanAction } from './types.ts';

/** Mutable state of one tick (local to `planNext`, so purity holds). */
export interface TickContext {
  readonly input: PlannerInput;
  readonly now: EpochMs;
  readonly ts: string;
  readonly ledger: BudgetLedger;
  /** Each host's latest record across rollouts (see `latestRecords`). */
  readonly latest: ReadonlyMap<string, HostRolloutState>;
  readonly actions: PlanAction[];
  readonly decisions: Decision[];
  /**
   * Whether to record decisions. Off, the tick plans the same actions
   * without building an explanation per host (10,000 objects per tick at
   * 10,000 hosts, kept until the next one: most of a busy CP's old-space
   * garbage).
   */
  readonly explain: boolean;
}

/** A manifest's layout: members per wave, wave and target per host. */
export interface Layout {
  readonly waves: string[][];
  readonly waveOf: Map<string, number>;
  readonly targetOf: Map<string, string>;
}

/** Indexes a manifest's hostSet (already sorted by hostname). */
export function layoutOf(m: ManifestView): Layout {
  const waves: string[][] = m.waves.map(() => []);
  const waveOf = new Map<string, number>();
  const targetOf = new Map<string, string>();
  for (const h of m.hostSet) {
    while (waves.length <= h.waveIndex) waves.push([]);
    (waves[h.waveIndex] as string[]).push(h.hostname);
    waveOf.set(h.hostname, h.waveIndex);
    targetOf.set(h.hostname, h.targetClosure);
  }
  return { waves, waveOf, targetOf };
}

/** Builds a tick context. */
export function newContext(
  input: PlannerInput,
  now: EpochMs,
  ledger: BudgetLedger,
  latest: ReadonlyMap<string, HostRolloutState>,
  explain = true,
): TickContext {
  return { input, now, ts: toRfc3339(now), ledger, latest, actions: [], decisions: [], explain };
}

/** Whether a host is offline at this tick. */
export function offline(ctx: TickContext, host: string): boolean {
  return isOffline(ctx.input.liveness.get(host), ctx.now, ctx.input.timings);
}

/** Records one decision. */
export function decide(
  ctx: TickContext,
  d: {
    readonly decision: DecisionKind;
    readonly code: DecisionCode;
    readonly gate: GateName | null;
    readonly channel: string;
    readonly rollout: string | null;
    readonly wave: number | null;
    readonly host: string | null;
    readonly reason: string;
    readonly transition?: string | null;
    readonly budgets?: Readonly<Record<string, string>> | null;
  },
): void {
  if (!ctx.explain) return;
  ctx.decisions.push({
    ts: ctx.ts,
    decision: d.decision,
    code: d.code,
    gate: d.gate,
    channel: d.channel,
    rollout: d.rollout,
    wave: d.wave,
    host: d.host,
    transition: d.transition ?? null,
    reason: d.reason,
    budgets: d.budgets ?? null,
  });
}

/** Records a gate's refusal as a hold (offline refusals are skips). */
export function decideBlocked(
  ctx: TickContext,
  block: GateBlock,
  where: { channel: string; rollout: string; wave: number; host: string | null },
  budgets: Readonly<Record<string, string>> | null = null,
): void {
  decide(ctx, {
    decision: block.gate === 'offline' ? 'skip' : 'hold',
    code: block.code,
    gate: block.gate,
    ...where,
    reason: block.reason,
    budgets,
  });
}

/**
 * Explains a host that already has a record in this rollout (no decision
 * for Converged hosts: nothing is pending for them).
 */
export function explainRecord(ctx: TickContext, rec: HostRolloutState): void {
  if (!ctx.explain) return;
  const where = {
    channel: rec.channel,
    rollout: rec.rolloutId,
    wave: rec.wave,
    host: rec.hostname,
  };
  const hold = (code: DecisionCode, reason: string): void =>
    decide(ctx, { decision: 'hold', code, gate: null, ...where, reason });
  switch (rec.state) {
    case 'Pending':
      hold(
        'AWAITING_ACK',
        `dispatched ${toRfc3339(rec.dispatchedAt)}; awaiting DispatchAck (confirm deadline ${toRfc3339(rec.confirmDeadline)})`,
      );
      return;
    case 'Activating':
      hold('ACTIVATING', `activating ${rec.targetClosure}`);
      return;
    case 'Deferred':
      hold(
        'DEFERRED_AWAITING_REBOOT',
        `activation deferred (${rec.deferredComponent ?? 'unknown'} cannot switch live); completes after the next reboot`,
      );
      return;
    case 'Soaking': {
      const block = convergenceBlock(rec, ctx.now, 0);
      hold('SOAKING', `soaking: ${block === null ? 'ready to converge' : block.detail}`);
      return;
    }
    case 'Failed':
      hold('HOST_FAILED', `host failed: ${rec.failureReason ?? 'unknown'}`);
      return;
    case 'Reverted':
      hold('HOST_REVERTED', `host rolled back to ${rec.revertedTo ?? 'unknown'}`);
      return;
    case 'Converged':
      return;
  }
}
