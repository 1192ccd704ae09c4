// Local closure quarantine (Boundary contracts §I.7 carve-out), pure. A
// closure whose switch failed or whose activation did not verify is skipped
// for QUARANTINE_WINDOW on later dispatches; ClosureQuarantined is reported
// at most once per repost throttle. The window runs from the last failure.
import type { Quarantine, QuarantineEntry } from '../state/store.ts';

/** True when `closure` is quarantined at `now`. */
export function isQuarantined(
  q: Quarantine,
  closure: string,
  now: number,
  windowMs: number,
): boolean {
  const e = q[closure];
  return e !== undefined && now - e.lastFailureAt < windowMs;
}

/** Records one more failure of `closure`; expired entries are dropped. */
export function recordFailure(
  q: Quarantine,
  closure: string,
  now: number,
  windowMs: number,
): Quarantine {
  const closures: Record<string, QuarantineEntry> = {};
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
  q: Quarantine,
  closure: string,
  now: number,
  throttleMs: number,
): boolean {
  const e = q[closure];
  return e !== undefined && (e.lastReportedAt === null || now - e.lastReportedAt >= throttleMs);
}

/** Stamps a ClosureQuarantined report. */
export function markReported(q: Quarantine, closure: string, now: number): Quarantine {
  const e = q[closure];
  if (!e) return q;
  return { ...q, [closure]: { ...e, lastReportedAt: now } };
}
