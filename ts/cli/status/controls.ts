// Which compliance controls are failing now, as `status` and `watch` show
// them: the CP's probe_failures view (one row per failing control of an
// evidence probe, in the rollout trace) narrowed to the probes the host
// still reports failing, and to the latest failing result of each probe, so
// a control that failed once and passes since is not shown as failing.
import type { ApiHosts, ApiRolloutTrace } from '../../contracts/index.ts';

/** One row of the trace's probeFailures. */
export type ProbeFailure = NonNullable<ApiRolloutTrace['probeFailures']>[number];

/** A control failing on a host now. */
export interface FailingControl {
  readonly hostname: string;
  readonly rolloutId: string;
  readonly probe: string;
  readonly controlId: string;
  readonly framework: string | null;
  readonly article: string | null;
  /** The probe's failure text, when the agent gave one. */
  readonly reason: string | null;
  readonly observedAt: string;
}

type Host = Pick<ApiHosts['hosts'][number], 'hostname' | 'rolloutId' | 'failingEnforceProbes'>;

/**
 * Rollouts whose trace holds the failing controls of `hosts`: those of hosts
 * with a failing enforce probe (none: nothing to fetch).
 *
 * @example rolloutsToTrace(hosts.hosts) // ['stable@3f2a9c1d']
 */
export function rolloutsToTrace(hosts: readonly Host[]): string[] {
  const ids = hosts
    .filter((h) => h.failingEnforceProbes.length > 0 && h.rolloutId !== null)
    .map((h) => h.rolloutId as string);
  return [...new Set(ids)].sort();
}

const key = (f: ProbeFailure): string => `${f.rolloutId}\u0000${f.hostname}\u0000${f.probe}`;

/**
 * The controls failing now on `hosts`, sorted by host, probe and control:
 * rows of the probes each host reports failing in its latest rollout, from
 * the newest failing result of each probe.
 *
 * @example failingControls(hosts.hosts, trace.probeFailures ?? [])
 */
export function failingControls(
  hosts: readonly Host[],
  failures: readonly ProbeFailure[],
): FailingControl[] {
  // The newest failing result of a probe is the event_log row the latest rows share.
  const newest = new Map<string, number>();
  for (const f of failures) {
    const seq = f.eventLogSeq ?? -1;
    if (seq > (newest.get(key(f)) ?? -Infinity)) newest.set(key(f), seq);
  }
  const failing = new Set(
    hosts.flatMap((h) =>
      h.rolloutId === null
        ? []
        : h.failingEnforceProbes.map((p) => `${h.rolloutId}\u0000${h.hostname}\u0000${p}`),
    ),
  );
  const out: FailingControl[] = [];
  for (const f of failures) {
    if (f.controlId === null || !failing.has(key(f))) continue;
    if ((f.eventLogSeq ?? -1) !== newest.get(key(f))) continue;
    out.push({
      hostname: f.hostname,
      rolloutId: f.rolloutId,
      probe: f.probe,
      controlId: f.controlId,
      framework: f.framework,
      article: f.article,
      reason: f.reason,
      observedAt: f.observedAt,
    });
  }
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort(
    (a, b) => cmp(a.hostname, b.hostname) || cmp(a.probe, b.probe) || cmp(a.controlId, b.controlId),
  );
}

/**
 * `ssh-no-password (nis2 art. 21(2)(j))`: a control as one line names it.
 *
 * @example controlText(c)
 */
export function controlText(c: FailingControl): string {
  const where = [c.framework, c.article].filter((x) => x !== null).join(' ');
  return where === '' ? c.controlId : `${c.controlId} (${where})`;
}
