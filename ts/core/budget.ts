// Request budgets: the token-bucket rule the control plane applies per host
// to agent events (count and bytes) and per claimed host to bootstrap
// reports. Pure: the bucket is a value, `now` is a parameter, and the caller
// stores the returned state. Decides admission and, when refused, how long
// the caller must wait (the Retry-After the CP sends).
import type { EpochMs } from './time.ts';

/** A bucket's refill rate and capacity. */
export interface BudgetRule {
  /** Tokens added per second (0: the bucket never refills). */
  readonly perSec: number;
  /** Capacity: the largest burst admitted from a full bucket. */
  readonly burst: number;
}

/** A bucket's level at an instant. */
export interface BudgetState {
  readonly tokens: number;
  readonly at: EpochMs;
}

/** Outcome of {@link takeBudget}. */
export type BudgetDecision =
  | { readonly ok: true; readonly state: BudgetState }
  | {
      readonly ok: false;
      readonly state: BudgetState;
      /** Milliseconds until `cost` tokens are available (Infinity: never, the cost exceeds the burst or nothing refills). */
      readonly retryAfterMs: number;
    };

/**
 * Takes `cost` tokens from the bucket `state` (a missing state is a full
 * bucket) at `now`. A refused take leaves the bucket as refilled to `now`,
 * so refused requests cost nothing.
 *
 * @example takeBudget(undefined, { perSec: 1, burst: 2 }, 3, 0) // { ok: false, retryAfterMs: Infinity, … }
 */
export function takeBudget(
  state: BudgetState | undefined,
  rule: BudgetRule,
  cost: number,
  now: EpochMs,
): BudgetDecision {
  const elapsed = state === undefined ? 0 : Math.max(0, now - state.at);
  const level =
    state === undefined
      ? rule.burst
      : Math.min(rule.burst, state.tokens + (elapsed * rule.perSec) / 1000);
  if (cost <= level) return { ok: true, state: { tokens: level - cost, at: now } };
  const retryAfterMs =
    cost > rule.burst || rule.perSec <= 0 ? Infinity : ((cost - level) * 1000) / rule.perSec;
  return { ok: false, state: { tokens: level, at: now }, retryAfterMs };
}

/**
 * True when the bucket has refilled to capacity by `now` (the caller may
 * forget it: a missing state means the same).
 */
export function budgetIdle(state: BudgetState, rule: BudgetRule, now: EpochMs): boolean {
  return state.tokens + (Math.max(0, now - state.at) * rule.perSec) / 1000 >= rule.burst;
}
