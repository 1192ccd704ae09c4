// Time for the pure core. Owns the representation of instants (epoch
// milliseconds), the RFC 3339 conversions used at the wire boundary and the
// configurable timing constants. Must never read the clock: every function
// here is total over its arguments, and `now` always arrives as a parameter.

/**
 * An instant as milliseconds since the Unix epoch (UTC).
 *
 * Core takes `now` as a plain number rather than a `Date` so that state
 * snapshots stay JSON-serialisable and comparisons are cheap in the planner's
 * hot loop. Wire timestamps (RFC 3339 strings with a trailing `Z`) are
 * converted with {@link parseRfc3339} / {@link toRfc3339} at the boundary.
 *
 * @example const now: EpochMs = 1_700_000_000_000;
 */
export type EpochMs = number;

/** Timing constants (CONTRACTS.md "Timing constants"); tests shrink them. */
export interface CoreTimings {
  /** Agent-side sustained enforce-probe failure threshold (default 60 s). */
  readonly sustainedFailureMs: number;
  /** How long a quarantined closure stays quarantined at minimum (24 h). */
  readonly quarantineWindowMs: number;
  /** Heartbeat interval (60 s). */
  readonly heartbeatIntervalMs: number;
  /** Missed heartbeats after which a host counts as offline (3). */
  readonly missedHeartbeatsOffline: number;
  /** Slack absorbed on every agent-vs-CP timestamp comparison (60 s). */
  readonly clockSkewSlackMs: number;
  /** Dispatch confirm window: issued_at → confirm_deadline (360 s). */
  readonly confirmWindowMs: number;
  /** How long a Superseded rollout is kept before it is pruned (7 days). */
  readonly rolloutRetentionMs: number;
}

/**
 * The defaults from CONTRACTS.md. The retention default (7 days) is this
 * project's choice; the book leaves `retention_hours` open.
 *
 * @example const t = { ...DEFAULT_TIMINGS, sustainedFailureMs: 1_000 };
 */
export const DEFAULT_TIMINGS: Readonly<CoreTimings> = Object.freeze({
  sustainedFailureMs: 60_000,
  quarantineWindowMs: 24 * 3_600_000,
  heartbeatIntervalMs: 60_000,
  missedHeartbeatsOffline: 3,
  clockSkewSlackMs: 60_000,
  confirmWindowMs: 360_000,
  rolloutRetentionMs: 7 * 24 * 3_600_000,
});

/**
 * Formats an instant as RFC 3339 UTC with a trailing `Z`; whole seconds are
 * printed without a fraction so that values round-trip with the wire examples.
 *
 * @example toRfc3339(0) === '1970-01-01T00:00:00Z'
 */
export function toRfc3339(ms: EpochMs): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Parses an RFC 3339 timestamp; returns `null` for anything unparseable
 * (an expected failure at the wire boundary, so a value, not an exception).
 *
 * @example parseRfc3339('1970-01-01T00:00:01Z') === 1000
 */
export function parseRfc3339(text: string): EpochMs | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
