// Disruption-budget gate (RFC-0002 §4.2). Owns the budget ledger of one tick:
// budgets matched across every rollout holding a channel by selector
// equality, the limit (absolute and percentage, strictest wins), the slots
// taken, and the reservation of slots by dispatches planned in the same
// tick. Must never re-resolve selectors against live tags: each rollout's
// manifest carries the frozen host list.
import type { GateBlock } from '../decisions.ts';
import type { HostRolloutState } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import { selectorKey, selectorLabel } from '../selectors.ts';
import type { CoreTimings, EpochMs } from '../time.ts';

/** One budget across rollouts: its limit and current usage. */
export interface BudgetSlot {
  readonly key: string;
  readonly label: string;
  readonly hosts: Set<string>;
  limit: number;
  /** Activating | Soaking: the RFC's "in flight". */
  inFlight: number;
  /** In flight plus slots reserved by dispatched-but-unsettled hosts. */
  committed: number;
}

/** The per-tick ledger: budgets and the budgets each host falls under. */
export interface BudgetLedger {
  readonly budgets: BudgetSlot[];
  readonly byHost: Map<string, BudgetSlot[]>;
}

/**
 * Limit of one budget snapshot. Percentages round **down** with a floor of 1
 * (`max(1, floor(size × pct / 100))`): a percentage never admits more hosts
 * than it names, and a non-empty budget never freezes a rollout outright.
 * When both limits are set the stricter applies; neither set = unlimited.
 *
 * @example budgetLimit(null, 50, 5) === 2
 * @example budgetLimit(null, 10, 3) === 1
 */
export function budgetLimit(
  maxInFlight: number | null,
  maxInFlightPct: number | null,
  size: number,
): number {
  const abs = maxInFlight ?? Number.POSITIVE_INFINITY;
  const pct =
    maxInFlightPct === null
      ? Number.POSITIVE_INFINITY
      : Math.max(1, Math.floor((size * maxInFlightPct) / 100));
  return Math.min(abs, pct);
}

/**
 * Whether a host record holds a budget slot. Activating and Soaking are in
 * flight (RFC-0002 §4.2). Pending (dispatched, not yet acked; until its
 * confirm deadline plus skew slack) and Deferred (staged, switches on the
 * next reboot) also reserve a slot: both become in flight without another
 * planner decision, so not reserving would let the budget be exceeded.
 */
export function holdsSlot(rec: HostRolloutState, now: EpochMs, timings: CoreTimings): boolean {
  switch (rec.state) {
    case 'Activating':
    case 'Soaking':
    case 'Deferred':
      return true;
    case 'Pending':
      return now <= rec.confirmDeadline + timings.clockSkewSlackMs;
    default:
      return false;
  }
}

/** An empty ledger; budgets are added per rollout with {@link addBudgets}. */
export function emptyBudgetLedger(): BudgetLedger {
  return { budgets: [], byHost: new Map() };
}

/**
 * Adds one rollout's budget snapshots to the ledger, matching existing
 * budgets by selector equality (hosts united, strictest limit kept) and
 * counting the slots held by each newly covered host's latest record.
 *
 * @example addBudgets(ledger, manifest, latest, now, timings);
 */
export function addBudgets(
  ledger: BudgetLedger,
  manifest: ManifestView,
  latest: ReadonlyMap<string, HostRolloutState>,
  now: EpochMs,
  timings: CoreTimings,
): void {
  for (const b of manifest.disruptionBudgets) {
    const key = selectorKey(b.selector);
    let slot = ledger.budgets.find((x) => x.key === key);
    if (slot === undefined) {
      slot = {
        key,
        label: selectorLabel(b.selector),
        hosts: new Set(),
        limit: Number.POSITIVE_INFINITY,
        inFlight: 0,
        committed: 0,
      };
      ledger.budgets.push(slot);
      ledger.budgets.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    }
    slot.limit = Math.min(slot.limit, budgetLimit(b.maxInFlight, b.maxInFlightPct, b.hosts.length));
    for (const h of b.hosts) {
      if (slot.hosts.has(h)) continue;
      slot.hosts.add(h);
      const list = ledger.byHost.get(h);
      if (list === undefined) ledger.byHost.set(h, [slot]);
      else list.push(slot);
      const rec = latest.get(h);
      if (rec !== undefined && holdsSlot(rec, now, timings)) {
        slot.committed += 1;
        if (rec.state === 'Activating' || rec.state === 'Soaking') slot.inFlight += 1;
      }
    }
  }
}

function usage(slot: BudgetSlot): string {
  const limit = Number.isFinite(slot.limit) ? String(slot.limit) : '∞';
  const reserved = slot.committed - slot.inFlight;
  return `${slot.inFlight}/${limit} in flight${reserved > 0 ? ` (+${reserved} reserved)` : ''}`;
}

/**
 * The budget gate: `null` when dispatching `host` keeps every budget it
 * falls under within its limit, counting this tick's reservations.
 *
 * @example disruptionBudgetBlock(ledger, 'etcd-02')?.code === 'BUDGET_SATURATED'
 */
export function disruptionBudgetBlock(ledger: BudgetLedger, host: string): GateBlock | null {
  for (const slot of ledger.byHost.get(host) ?? []) {
    if (slot.committed + 1 > slot.limit) {
      return {
        gate: 'disruption-budget',
        code: 'BUDGET_SATURATED',
        reason: `disruption budget ${slot.label} saturated: ${usage(slot)}`,
      };
    }
  }
  return null;
}

/** Takes a slot in every budget of `host` for a dispatch planned this tick. */
export function reserveBudgetSlot(ledger: BudgetLedger, host: string): void {
  for (const slot of ledger.byHost.get(host) ?? []) slot.committed += 1;
}

/** Usage of the budgets `host` falls under, by label (decision `budgets`). */
export function budgetUsage(ledger: BudgetLedger, host: string): Record<string, string> | null {
  const slots = ledger.byHost.get(host);
  if (slots === undefined) return null;
  const out: Record<string, string> = {};
  for (const slot of slots) out[slot.label] = usage(slot);
  return out;
}
