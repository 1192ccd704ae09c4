// Local closure quarantine (Boundary contracts §I.7 carve-out). A closure
// whose switch failed or whose activation did not verify is refused on later
// dispatches for the quarantine window, which runs from its last failure, so
// a host does not switch into the same broken generation again while an
// operator looks at it. ClosureQuarantined is reported at most once per
// repost throttle: a CP that keeps re-dispatching the closure must not make
// the agent flood the event log. Pure: the agent's shell stores the map in
// its snapshot and feeds `now`.
import type { EpochMs } from '../time.ts';
import type { HostRolloutState, LocalHostEvent } from './types.ts';

/** One quarantined closure. */
export interface LocalQuarantineEntry {
  readonly firstFailureAt: EpochMs;
  readonly lastFailureAt: EpochMs;
  readonly failureCount: number;
  /** Last ClosureQuarantined report (throttle), `null`: never reported. */
  readonly lastReportedAt: EpochMs | null;
}

/** The local closure quarantine, by closure basename. */
export type LocalQuarantine = Readonly<Record<string, LocalQuarantineEntry>>;

/** True when `closure` is quarantined at `now`. */
export function isQuarantined(
  q: LocalQuarantine,
  closure: string,
  now: EpochMs,
  windowMs: number,
): boolean {
  const e = q[closure];
  return e !== undefined && now - e.lastFailureAt < windowMs;
}

/**
 * Whether the step `before` → `after` quarantines `before`'s target: a switch
 * that failed or did not verify (Activating → Failed). A refusal or a health
 * failure after the switch says nothing about whether the closure can be
 * switched to, so it does not.
 */
export function failureQuarantines(
  before: HostRolloutState | null,
  after: HostRolloutState,
): before is HostRolloutState {
  return before !== null && before.state === 'Activating' && after.state === 'Failed';
}

/** Records one more failure of `closure`; expired entries are dropped. */
export function recordFailure(
  q: LocalQuarantine,
  closure: string,
  now: EpochMs,
  windowMs: number,
): LocalQuarantine {
  const closures: Record<string, LocalQuarantineEntry> = {};
  for (const [k, v] of Object.entries(q)) {
    if (now - v.lastFailureAt < windowMs) closures[k] = v;
  }
  const prev = closures[closure];
  closures[closure] = {
    firstFailureAt: prev?.firstFailureAt ?? now,
    lastFailureAt: now,
    failureCount: (prev?.failureCount ?? 0) + 1,
    lastReportedAt: prev?.lastReportedAt ?? null,
  };
  return closures;
}

/** Whether a ClosureQuarantined report is due (throttle). */
export function reportDue(
  q: LocalQuarantine,
  closure: string,
  now: EpochMs,
  throttleMs: number,
): boolean {
  const e = q[closure];
  return e !== undefined && (e.lastReportedAt === null || now - e.lastReportedAt >= throttleMs);
}

/** Stamps a ClosureQuarantined report. */
export function markReported(q: LocalQuarantine, closure: string, now: EpochMs): LocalQuarantine {
  const e = q[closure];
  if (!e) return q;
  return { ...q, [closure]: { ...e, lastReportedAt: now } };
}

/**
 * The report to feed the host reducer for `closure`, or `null` when the
 * closure is not quarantined or the throttle holds it back. The caller stamps
 * it with {@link markReported} once the reducer accepted it.
 */
export function quarantineReport(
  q: LocalQuarantine,
  closure: string,
  now: EpochMs,
  throttleMs: number,
): Extract<LocalHostEvent, { kind: 'LocalClosureQuarantined' }> | null {
  const e = q[closure];
  if (e === undefined || !reportDue(q, closure, now, throttleMs)) return null;
  return {
    kind: 'LocalClosureQuarantined',
    closure,
    quarantinedAt: e.firstFailureAt,
    failureCount: e.failureCount,
    lastFailureAt: e.lastFailureAt,
    at: now,
  };
}
