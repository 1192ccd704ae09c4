// Decision records (RFC-0002 §7): every dispatch, hold, skip, promote, halt,
// open and completion the planner takes carries a structured reason so that
// "why didn't this host upgrade yet?" is answerable from decisions alone.
// Owns the shape and the stable reason codes; must never carry behaviour.

/** The planner's gates, one module each under ts/core/gates/. */
export type GateName =
  | 'channel-edges'
  | 'supersession'
  | 'wave-promotion'
  | 'host-edges'
  | 'disruption-budget'
  | 'quarantine'
  | 'offline'
  | 'health';

/** What the planner decided. */
export type DecisionKind =
  | 'open'
  | 'dispatch'
  | 'hold'
  | 'skip'
  | 'promote'
  | 'complete'
  | 'halt'
  | 'prune'
  | 'clear-quarantine';

/**
 * Stable reason codes (documented for operators in docs/rollouts.md).
 * Callers and dashboards branch on these, never on `reason` text.
 */
export type DecisionCode =
  | 'ROLLOUT_OPENED'
  | 'SUPERSESSION_QUEUED'
  | 'MANIFEST_MISSING'
  | 'CHANNEL_EDGE_PREDECESSOR_ACTIVE'
  | 'CHANNEL_EDGE_PREDECESSOR_HALTED'
  | 'CHANNEL_EDGE_PREDECESSOR_PENDING'
  | 'DISPATCHED'
  | 'DISPATCHED_CATCH_UP'
  | 'WAVE_NOT_ACTIVE'
  | 'WAVE_PROMOTED'
  | 'WAVE_HELD'
  | 'ROLLOUT_COMPLETE'
  | 'HOST_EDGE_PREDECESSOR'
  | 'BUDGET_SATURATED'
  | 'QUARANTINED'
  | 'OFFLINE'
  | 'ROLLOUT_HALTED'
  | 'AWAITING_ACK'
  | 'ACTIVATING'
  | 'DEFERRED_AWAITING_REBOOT'
  | 'SOAKING'
  | 'HOST_FAILED'
  | 'HOST_REVERTED'
  | 'RETENTION_EXPIRED'
  | 'QUARANTINE_STALE';

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
