// Incremental planning: one host event → the affected decisions, without a
// full tick. Owns a session (latest records, budget ledger, layouts) built
// once by a full pass and kept current per host change in O(budgets of the
// host). Re-evaluates the changed host, hosts of its rollout's current wave
// that share a budget slot it released, and wave promotion only when the
// rollout's counts say the wave may have settled. Must never diverge from
// `planNext`: a full tick remains the authority (it runs every interval).
import {
  holdsSlot,
  addBudgets,
  emptyBudgetLedger,
  type BudgetLedger,
} from '../gates/disruption-budget.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { PlannerInput } from '../inputs.ts';
import { unsettled } from '../rollout/derive.ts';
import type { EpochMs } from '../time.ts';
import { explainRecord, layoutOf, newContext, type Layout } from './context.ts';
import { latestRecords, planNext } from './plan-next.ts';
import { planRollout, planSingleMember } from './rollout-plan.ts';
import type { PlanResult } from './types.ts';

/** State kept between incremental steps (owned by the CP mutator). */
export interface PlannerSession {
  readonly input: PlannerInput;
  readonly latest: Map<string, HostRolloutState>;
  readonly ledger: BudgetLedger;
  readonly layouts: Map<string, Layout>;
}

/**
 * Opens a session: a full `planNext` pass plus the indexes the incremental
 * path keeps current. `input.hosts` must be the runtime's live record cache
 * (the applier updates it before calling {@link planHostChange}).
 *
 * @example const { session, plan } = openPlannerSession(input, now);
 */
export function openPlannerSession(
  input: PlannerInput,
  now: EpochMs,
): { readonly session: PlannerSession; readonly plan: PlanResult } {
  const layouts = new Map<string, Layout>();
  const plan = planNext(input, now, { layouts });
  const latest = latestRecords(input);
  const ledger = emptyBudgetLedger();
  for (const id of Object.values(input.rollouts.activeByChannel)) {
    const m = id === null ? undefined : input.manifests.get(id);
    if (m !== undefined) addBudgets(ledger, m, latest, now, input.timings);
  }
  return { session: { input, latest, ledger, layouts }, plan };
}

function slotDelta(
  session: PlannerSession,
  rec: HostRolloutState,
  sign: 1 | -1,
  now: EpochMs,
): void {
  if (!holdsSlot(rec, now, session.input.timings)) return;
  const flying = rec.state === 'Activating' || rec.state === 'Soaking';
  for (const slot of session.ledger.byHost.get(rec.hostname) ?? []) {
    slot.committed += sign;
    if (flying) slot.inFlight += sign;
  }
}

/**
 * One host record changed (already applied to `input.hosts` and the book):
 * returns the decisions and actions it affects. The book is immutable, so
 * pass the session with the current input (`{ ...session, input }`).
 *
 * @example const { actions, decisions } = planHostChange(session, record, now);
 */
export function planHostChange(
  session: PlannerSession,
  rec: HostRolloutState,
  now: EpochMs,
): PlanResult {
  const { input } = session;
  const prev = session.latest.get(rec.hostname);
  const released =
    prev !== undefined &&
    holdsSlot(prev, now, input.timings) &&
    !holdsSlot(rec, now, input.timings);
  if (prev !== undefined) slotDelta(session, prev, -1, now);
  slotDelta(session, rec, 1, now);
  session.latest.set(rec.hostname, rec);

  const ctx = newContext(input, now, session.ledger, session.latest);
  const rollout = input.rollouts.rollouts[rec.rolloutId];
  const manifest = input.manifests.get(rec.rolloutId);
  if (rollout === undefined || manifest === undefined) {
    explainRecord(ctx, rec);
    return { actions: ctx.actions, decisions: ctx.decisions };
  }
  let layout = session.layouts.get(rec.rolloutId);
  if (layout === undefined) {
    layout = layoutOf(manifest);
    session.layouts.set(rec.rolloutId, layout);
  }
  const c = rollout.counts;
  if (rec.state === 'Converged' && unsettled(c) + c.Failed + c.Reverted === 0) {
    // The wave may have settled: the full per-rollout pass decides promotion.
    planRollout(ctx, rollout, manifest, layout);
    return { actions: ctx.actions, decisions: ctx.decisions };
  }
  explainRecord(ctx, rec);
  if (released) {
    // Offer the released slot to the next waiting members of the same wave
    // that share one of the host's budgets (or any member if unbudgeted).
    const mine = new Set(session.ledger.byHost.get(rec.hostname) ?? []);
    const records = input.hosts.get(rec.rolloutId);
    for (const host of layout.waves[rollout.currentWave] ?? []) {
      if (records?.has(host)) continue;
      const theirs = session.ledger.byHost.get(host) ?? [];
      if (mine.size > 0 && !theirs.some((s) => mine.has(s))) continue;
      const before = ctx.actions.length;
      planSingleMember(ctx, rollout, manifest, layout, host);
      const blocked = ctx.decisions.at(-1)?.code === 'BUDGET_SATURATED';
      if (ctx.actions.length > before || blocked) break;
    }
  }
  return { actions: ctx.actions, decisions: ctx.decisions };
}
