// Decision records (RFC-0002 §7): every dispatch, hold, skip, promote, halt,
// open and completion the planner takes carries a structured reason so that
// "why didn't this host upgrade yet?" is answerable from decisions alone.
// Owns the shape and the stable reason codes; must never carry behaviour.

import type { Decision as ContractDecision } from '../contracts/index.ts';

/**
 * The planner's gates, one module each under ts/core/gates/ (admission control:
 * ts/core/pacing/; enum declared in contracts/_api.nix).
 */
export type GateName = NonNullable<ContractDecision['gate']>;

/** What the planner decided (enum declared in contracts/_api.nix). */
export type DecisionKind = ContractDecision['decision'];

/**
 * Stable reason codes (declared in contracts/_api.nix, documented for
 * operators in docs/rollouts.md). Callers and dashboards branch on these,
 * never on `reason` text.
 */
export type DecisionCode = ContractDecision['code'];

/**
 * One decision, in the RFC-0002 §7 shape (`ts`, `rollout`, `wave`, `host`,
 * `transition`, `reason`, `budgets`) plus the kind, gate and stable code.
 */
export interface Decision {
  /** RFC 3339 time of the tick that took the decision. */
  readonly ts: string;
  readonly decision: DecisionKind;
  readonly code: DecisionCode;
  /** Gate that produced it (`null`: not a gate outcome, e.g. host progress). */
  readonly gate: GateName | null;
  readonly channel: string;
  readonly rollout: string | null;
  readonly wave: number | null;
  readonly host: string | null;
  /** e.g. `"(none) -> Pending"`, `"wave 0 -> wave 1"`; `null` for holds. */
  readonly transition: string | null;
  /** Human-readable explanation. */
  readonly reason: string;
  /** Budget usage by budget label, e.g. `{ "tags=etcd": "1/1 in flight" }`. */
  readonly budgets: Readonly<Record<string, string>> | null;
}

/**
 * Answers "why didn't this host upgrade yet?": the decisions naming a host.
 *
 * @example explainHost(plan.decisions, 'web-03')[0]?.reason
 */
export function explainHost(decisions: readonly Decision[], host: string): Decision[] {
  return decisions.filter((d) => d.host === host);
}

/** A gate's refusal: which gate, the stable code and the operator text. */
export interface GateBlock {
  readonly gate: GateName;
  readonly code: DecisionCode;
  readonly reason: string;
}

// The decision record crosses the CP → CLI boundary (GET /v1/rollouts/{id}/trace,
// contract api-rollout-trace): it must stay assignable to the generated type,
// and the generated type to it (minus the open index signature).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Closed<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
const decisionMatchesContract: Same<Decision, Readonly<Closed<ContractDecision>>> = true;
void decisionMatchesContract;
