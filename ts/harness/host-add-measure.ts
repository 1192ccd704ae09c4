// The figure of a hostAdd step (ts/harness/host-add.ts) and its parts, from
// the instants the step took and the logs it read; and invariant
// hostAddWithin, which judges it against the step's budget. Pure.
/** One milestone of the measure: when it happened (epoch ms), null when it was not observed. */
export interface HostAddMilestone {
  readonly what: string;
  readonly at: number | null;
}

/** One part of the figure: a milestone and the seconds since the one before it. */
export interface HostAddPart {
  readonly what: string;
  /** Seconds since the command. */
  readonly atSecs: number | null;
  /** Seconds since the previous milestone observed. */
  readonly secs: number | null;
}

/** What one hostAdd step measured. */
export interface HostAddMeasure {
  readonly host: string;
  readonly withinSecs: number;
  /** From the command to the last end condition met; null when one never was. */
  readonly totalSecs: number | null;
  /** The milestones in the order they happened (unobserved ones last). */
  readonly parts: readonly HostAddPart[];
  /** End conditions never met within the step's timeout. */
  readonly missing: readonly string[];
}

/** Instants (epoch ms) of the measure; null: not observed. */
export interface HostAddInstants {
  readonly start: number;
  readonly added: number | null;
  readonly released: number | null;
  readonly adopted: number | null;
  readonly refusedEnrollments: number;
  readonly enrolled: number | null;
  /** The new release's rollout reached the host's wave (the waves before it converged again). */
  readonly waveReached: number | null;
  readonly hostWave: number | null;
  readonly dispatched: number | null;
  readonly realised: number | null;
  readonly converged: number | null;
  readonly shownByStatus: number | null;
  /** The first message the broker delivered on heartbeatSubject; undefined: not asked for. */
  readonly heartbeat?: number | null;
}

/**
 * The figure and its parts from the instants (pure). The milestones are
 * ordered by when they happened: enrollment and the rollout's walk through
 * the waves before the host's run side by side.
 *
 * @example measureOf('agent-17', 60, instants).totalSecs
 */
export function measureOf(host: string, withinSecs: number, i: HostAddInstants): HostAddMeasure {
  const milestones: HostAddMilestone[] = [
    { what: '`nixfleet host add` done (key, token, nonce, hosts.json entry)', at: i.added },
    { what: 'release published (eval, build, push, sign)', at: i.released },
    { what: 'CP adopted the release (artifact poll)', at: i.adopted },
    {
      what: `enrolled (${i.refusedEnrollments} attempt(s) refused before the adoption, retried)`,
      at: i.enrolled,
    },
    {
      what: `rollout reached the host's wave ${i.hostWave ?? '?'} (the waves before it converged again)`,
      at: i.waveReached,
    },
    { what: 'dispatch received (long-poll answered; disruption budget)', at: i.dispatched },
    { what: 'closure fetched from the binary cache', at: i.realised },
    ...(i.heartbeat === undefined
      ? []
      : [{ what: 'first heartbeat seen on the broker', at: i.heartbeat }]),
    { what: 'Converged (switch, enforce probes, soak)', at: i.converged },
    { what: 'shown Converged on its closure by `nixfleet status`', at: i.shownByStatus },
  ];
  const seen = milestones
    .filter((m): m is { what: string; at: number } => m.at !== null)
    .sort((a, b) => a.at - b.at);
  let previous = i.start;
  const parts: HostAddPart[] = seen.map((m) => {
    const part = { what: m.what, atSecs: (m.at - i.start) / 1000, secs: (m.at - previous) / 1000 };
    previous = m.at;
    return part;
  });
  for (const m of milestones)
    if (m.at === null) parts.push({ what: m.what, atSecs: null, secs: null });
  const missing: string[] = [];
  if (i.shownByStatus === null) missing.push('shown Converged on its closure by `nixfleet status`');
  if (i.heartbeat === null) missing.push('a heartbeat seen on the broker');
  const ends = [i.shownByStatus, ...(i.heartbeat === undefined ? [] : [i.heartbeat])];
  const totalSecs = missing.length > 0 ? null : (Math.max(...(ends as number[])) - i.start) / 1000;
  return { host, withinSecs, totalSecs, parts, missing };
}

const num = (n: number | null, width: number): string =>
  n === null ? '?'.padStart(width) : n.toFixed(1).padStart(width);

/** The figure as the run prints it: the total, then each milestone at +t (+gap). */
export function formatMeasure(m: HostAddMeasure): string[] {
  const head =
    m.totalSecs === null
      ? `host add of ${m.host}: not done (${m.missing.join('; ')}), budget ${m.withinSecs} s`
      : `host add of ${m.host}: ${m.totalSecs.toFixed(1)} s from \`nixfleet host add\` to enrolled, Converged, shown by status and heartbeating (budget ${m.withinSecs} s)`;
  return [head, ...m.parts.map((p) => `  +${num(p.atSecs, 5)} s (+${num(p.secs, 4)})  ${p.what}`)];
}

/**
 * Invariant hostAddWithin: every hostAdd step of the run reached its end
 * within its budget, each milestone observed. No step measured is a violation.
 *
 * @example checkHostAddWithin([]) // ['hostAddWithin: no hostAdd step measured a host']
 */
export function checkHostAddWithin(measures: readonly HostAddMeasure[]): string[] {
  if (measures.length === 0) return ['hostAddWithin: no hostAdd step measured a host'];
  const out: string[] = [];
  for (const m of measures) {
    if (m.totalSecs === null) {
      out.push(`hostAddWithin: ${m.host} never got there: ${m.missing.join('; ')}`);
      continue;
    }
    const unseen = m.parts.filter((p) => p.atSecs === null).map((p) => p.what);
    if (unseen.length > 0)
      out.push(`hostAddWithin: ${m.host}: not observed in the logs: ${unseen.join('; ')}`);
    if (m.totalSecs > m.withinSecs)
      out.push(
        `hostAddWithin: ${m.host} took ${m.totalSecs.toFixed(1)} s, over its budget of ${m.withinSecs} s`,
      );
  }
  return out;
}
