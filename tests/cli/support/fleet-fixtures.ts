// Contract-valid operator API documents for the CLI's screen and command
// tests: builders with defaults plus the scenarios the issue names (empty
// fleet, mid-rollout, failure with reasons, pending reboot, quarantined
// closure). Every builder's output is checked against its contract by
// fixtures.test.ts, so the fixtures cannot drift from the schemas.
import type {
  ApiChannel,
  ApiHosts,
  ApiRollouts,
  ApiRolloutTrace,
  Decision,
} from '../../../ts/contracts/index.ts';
import { failingControls } from '../../../ts/cli/status/controls.ts';
import type { FleetSnapshot, RolloutSnapshot } from '../../../ts/cli/status/snapshot.ts';

/** The instant every scenario is rendered at. */
export const NOW = '2026-05-16T01:30:00Z';
export const NOW_MS = Date.parse(NOW);
export const RID = 'stable@3f2a9c1d';

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz';

/**
 * A valid closure name whose hash starts with `tag` mapped to nix base32.
 *
 * @example closure('a', 'web-01') // 'aaaaaaa…-nixos-system-web-01'
 */
export function closure(tag: string, host: string): string {
  const c = [...tag].map((ch) => (NIX32.includes(ch) ? ch : '0')).join('');
  return `${c.repeat(Math.ceil(32 / c.length)).slice(0, 32)}-nixos-system-${host}`;
}

/** Minutes before NOW as a timestamp. */
export function ago(minutes: number): string {
  return new Date(NOW_MS - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One /v1/hosts row, converged on `stable` by default. */
export function host(
  hostname: string,
  over: Partial<ApiHosts['hosts'][number]> = {},
): ApiHosts['hosts'][number] {
  return {
    hostname,
    channel: 'stable',
    declaredClosure: closure('n1', hostname),
    currentClosure: closure('n1', hostname),
    rolloutId: RID,
    state: 'Converged',
    stateSince: ago(20),
    lastSeenAt: ago(0.5),
    reachable: true,
    pendingReboot: false,
    quarantinedClosure: null,
    failingEnforceProbes: [],
    pin: null,
    agentVersion: '0.2.0',
    ...over,
  };
}

/** A host dispatched-but-behind row (declared new, running old). */
export function behind(
  hostname: string,
  over: Partial<ApiHosts['hosts'][number]> = {},
): ApiHosts['hosts'][number] {
  return host(hostname, { currentClosure: closure('01d', hostname), ...over });
}

/** GET /v1/channels/{name}. */
export function channel(over: Partial<ApiChannel> = {}): ApiChannel {
  return {
    name: 'stable',
    rolloutPolicy: 'canary',
    freshnessWindow: 1440,
    artifactSignedAt: ago(12),
    artifactCiCommit: '3f2a9c1d',
    activeRollout: RID,
    queuedRollout: null,
    hosts: [],
    quarantinedClosures: [],
    ...over,
  };
}

type Wave = ApiRollouts['rollouts'][number]['waves'][number];

/** A wave with counts. */
export function wave(index: number, counts: Partial<Omit<Wave, 'index'>>): Wave {
  return {
    index,
    soakMinutes: 30,
    hosts: 0,
    pending: 0,
    inFlight: 0,
    converged: 0,
    failed: 0,
    deferred: 0,
    ...counts,
  };
}

/** One /v1/rollouts row. */
export function rollout(
  over: Partial<ApiRollouts['rollouts'][number]> = {},
): ApiRollouts['rollouts'][number] {
  return {
    rolloutId: RID,
    displayName: 'stable@3f2a9c1',
    channel: 'stable',
    state: 'Active',
    openedAt: ago(14),
    terminalAt: null,
    currentWave: 1,
    waves: [
      wave(0, { hosts: 1, converged: 1 }),
      wave(1, { hosts: 3, converged: 1, inFlight: 1, pending: 1 }),
    ],
    budgets: [{ label: 'tags=etcd', inFlight: 1, limit: 1 }],
    ...over,
  };
}

/** A decision record. */
export function decision(over: Partial<Decision>): Decision {
  return {
    ts: ago(0.5),
    decision: 'hold',
    code: 'BUDGET_SATURATED',
    gate: 'disruption-budget',
    channel: 'stable',
    rollout: RID,
    wave: 1,
    host: 'etcd-2',
    transition: null,
    reason: 'held: budget tags=etcd 1/1 in flight',
    budgets: { 'tags=etcd': '1/1 in flight' },
    ...over,
  };
}

/** GET /v1/hosts document. */
export function hostsDoc(hosts: ApiHosts['hosts']): ApiHosts {
  return {
    generatedAt: NOW,
    hosts: [...hosts].sort((a, b) => a.hostname.localeCompare(b.hostname)),
  };
}

/** GET /v1/rollouts document. */
export function rolloutsDoc(rollouts: ApiRollouts['rollouts']): ApiRollouts {
  return { generatedAt: NOW, rollouts };
}

/** GET /v1/rollouts/{id}/trace document. */
export function traceDoc(
  decisions: Decision[],
  rolloutId = RID,
  pacing: ApiRolloutTrace['pacing'] = null,
): ApiRolloutTrace {
  return { rolloutId, decisions, pacing };
}

/** Mid-rollout: wave 0 done, wave 1 with one soaking, one pending, one held by the etcd budget. */
export function midRollout(): {
  hosts: ApiHosts;
  channel: ApiChannel;
  rollouts: ApiRollouts;
  trace: ApiRolloutTrace;
} {
  const hosts = [
    host('canary-1', {
      declaredClosure: closure('n2', 'canary-1'),
      currentClosure: closure('n2', 'canary-1'),
      stateSince: ago(9),
    }),
    behind('etcd-1', {
      declaredClosure: closure('n2', 'etcd-1'),
      currentClosure: closure('n2', 'etcd-1'),
      state: 'Soaking',
      stateSince: ago(3.2),
    }),
    behind('etcd-2', {
      declaredClosure: closure('n2', 'etcd-2'),
      rolloutId: 'stable@0a1b2c3d',
      state: 'Converged',
    }),
    behind('web-1', {
      declaredClosure: closure('n2', 'web-1'),
      state: 'Pending',
      stateSince: ago(0.2),
    }),
  ];
  return {
    hosts: hostsDoc(hosts),
    channel: channel({ hosts: hosts.map((h) => h.hostname) }),
    rollouts: rolloutsDoc([rollout()]),
    trace: traceDoc([
      decision({
        ts: ago(0.2),
        decision: 'dispatch',
        code: 'DISPATCHED',
        gate: null,
        host: 'web-1',
        transition: '(none) -> Pending',
        reason: 'dispatched: wave 1, budget tags=etcd not applicable',
        budgets: null,
      }),
      decision({}),
      decision({
        ts: ago(3.2),
        decision: 'hold',
        code: 'SOAKING',
        gate: null,
        host: 'etcd-1',
        reason: 'soaking: 26m48s of 30m left',
        budgets: null,
      }),
      decision({
        ts: ago(9),
        decision: 'promote',
        code: 'WAVE_PROMOTED',
        gate: 'wave-promotion',
        host: null,
        wave: 1,
        transition: 'wave 0 -> wave 1',
        reason: 'wave 0 converged (1/1); promoting to wave 1',
        budgets: null,
      }),
    ]),
  };
}

/** Failure: one host failed its health gate and reverted, rollout Reverted. */
export function failedRollout(): {
  hosts: ApiHosts;
  channel: ApiChannel;
  rollouts: ApiRollouts;
  trace: ApiRolloutTrace;
} {
  const bad = closure('n2', 'web-2');
  const hosts = [
    host('web-1', {
      declaredClosure: closure('n2', 'web-1'),
      currentClosure: closure('n2', 'web-1'),
    }),
    behind('web-2', {
      declaredClosure: bad,
      state: 'Reverted',
      stateSince: ago(4),
      failingEnforceProbes: ['http-health'],
    }),
    behind('web-3', { declaredClosure: closure('n2', 'web-3'), rolloutId: 'stable@0a1b2c3d' }),
  ];
  return {
    hosts: hostsDoc(hosts),
    channel: channel({
      hosts: hosts.map((h) => h.hostname),
      quarantinedClosures: [{ closure: bad, since: ago(4), rolloutId: RID }],
    }),
    rollouts: rolloutsDoc([
      rollout({
        state: 'Reverted',
        currentWave: 0,
        waves: [wave(0, { hosts: 3, converged: 1, failed: 1, pending: 1 })],
        budgets: [],
      }),
    ]),
    trace: traceDoc([
      decision({
        ts: ago(1),
        decision: 'hold',
        code: 'ROLLOUT_HALTED',
        gate: 'health',
        host: 'web-3',
        wave: 0,
        reason: 'rollout halted: web-2 reverted (probe http-health failing for 60s)',
        budgets: null,
      }),
      decision({
        ts: ago(4),
        decision: 'halt',
        code: 'HOST_REVERTED',
        gate: null,
        host: 'web-2',
        wave: 0,
        transition: 'Failed -> Reverted',
        reason: 'web-2 reverted to its previous closure; closure quarantined on stable',
        budgets: null,
      }),
    ]),
  };
}

/** A fleet snapshot from documents. */
export function fleetSnapshot(parts: {
  hosts: ApiHosts;
  channels?: ApiChannel[];
  rollouts?: ApiRollouts;
  trace?: ApiRolloutTrace;
}): FleetSnapshot {
  return {
    now: NOW_MS,
    cpUrl: 'https://cp.test:8443',
    hosts: parts.hosts,
    channels: parts.channels ?? [],
    rollouts: parts.rollouts ?? rolloutsDoc([]),
    failingControls: failingControls(parts.hosts.hosts, parts.trace?.probeFailures ?? []),
  };
}

/** A rollout snapshot from documents. */
export function rolloutSnapshot(parts: {
  hosts: ApiHosts;
  channel: ApiChannel | null;
  rollouts: ApiRollouts;
  trace: ApiRolloutTrace;
  requested?: string | null;
}): RolloutSnapshot {
  const r = parts.rollouts.rollouts[0] ?? null;
  const hosts = parts.hosts.hosts.filter((h) => r !== null && h.channel === r.channel);
  return {
    now: NOW_MS,
    cpUrl: 'https://cp.test:8443',
    requested: parts.requested ?? null,
    rollout: r,
    channel: parts.channel,
    hosts,
    decisions: parts.trace.decisions,
    pacing: parts.trace.pacing,
    failingControls: failingControls(hosts, parts.trace.probeFailures ?? []),
  };
}
