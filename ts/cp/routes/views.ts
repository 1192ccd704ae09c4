// The operator API views, typed by the generated contract types (contracts/
// api-*.nix): what `nixfleet status`, `rollout` and `watch` read. Each builder
// `satisfies` its contract, so a view that drifts from the contract does not
// compile. Contracts are open: extra fields the CP already served are kept.
// Pure over the runtime's committed state; never writes.
import { ownValue, rolloutHold, type RolloutHold } from '../../core/index.ts';
import type {
  ApiChannel,
  ApiDeferrals,
  ApiHealth,
  ApiHosts,
  ApiRollouts,
  RolloutManifest,
} from '../../contracts/index.ts';
import {
  budgetLimit,
  selectorLabel,
  toRfc3339,
  type HostRolloutState,
  type RolloutRecord,
} from '../../core/index.ts';
import { latestRecordOf, type CommittedView } from '../runtime/committed.ts';
import type { CpRuntime } from '../runtime/runtime.ts';

type State = CommittedView;
const ts = (ms: number | null | undefined): string | null => (ms == null ? null : toRfc3339(ms));

/** When the host entered its current state, from the record's own timestamps. */
export function stateSince(r: HostRolloutState): number | null {
  switch (r.state) {
    case 'Pending':
      return r.dispatchedAt;
    case 'Activating':
      return r.dispatchAckedAt;
    case 'Deferred':
      return r.deferredAt;
    case 'Soaking':
      return r.activationCompletedAt;
    case 'Converged':
      return r.convergedAt;
    case 'Failed':
      return r.failedAt;
    case 'Reverted':
      return r.revertedAt;
  }
}

const IN_FLIGHT = new Set(['Activating', 'Soaking']);

/** The host row's latest refused enrollment, or null. */
function refusalOf(state: State, host: string): ApiHosts['hosts'][number]['enrollRefusal'] {
  const r = state.enrollRefusals.get(host);
  if (r === undefined) return null;
  return {
    code: r.code,
    message: r.message,
    at: toRfc3339(r.at),
    firstAt: toRfc3339(r.firstAt),
    count: r.count,
  };
}

/** GET /v1/hosts: declared hosts with their latest rollout record and liveness. */
export function hostsView(state: State, now: number): ApiHosts & Record<string, unknown> {
  const fleet = state.artifacts.fleet?.value ?? null;
  const declared = Object.keys(fleet?.hosts ?? {}).sort();
  const hosts = declared.map((name) => {
    const decl = fleet!.hosts[name]!;
    const live = state.liveness.get(name);
    const latest = latestRecordOf(state, name);
    const quarantine = state.quarantines.get(decl.channel);
    const failing = latest
      ? Object.entries(latest.probes)
          .filter(([, p]) => p.mode === 'enforce' && p.status === 'Fail')
          .map(([n]) => n)
          .sort()
      : [];
    return {
      hostname: name,
      channel: decl.channel,
      tags: decl.tags,
      declaredClosure: decl.closureHash,
      currentClosure: live?.currentClosure ?? latest?.currentClosure ?? null,
      rolloutId: latest?.rolloutId ?? null,
      state: latest?.state ?? null,
      stateSince: latest ? ts(stateSince(latest)) : null,
      wave: latest?.wave ?? null,
      lastSeenAt: ts(live?.lastHeartbeatAt),
      reachable: live !== undefined && !state.unreachable.has(name),
      pendingReboot: latest?.state === 'Deferred',
      quarantinedClosure:
        latest && quarantine?.has(latest.targetClosure) ? latest.targetClosure : null,
      failingEnforceProbes: failing,
      pin: decl.pin ?? null,
      agentVersion: live?.agentVersion ?? null,
      enrollRefusal: refusalOf(state, name),
    };
  });
  // Hosts heartbeating without being declared: visible, but not host rows.
  const undeclared = [...state.liveness.keys()]
    .filter((h) => !fleet || ownValue(fleet.hosts, h) === undefined)
    .sort();
  return {
    generatedAt: toRfc3339(now),
    hosts,
    undeclared,
    fleetSignedAt: state.artifacts.fleet?.signedAt ?? null,
  } satisfies ApiHosts & Record<string, unknown>;
}

function waveProgress(
  manifest: RolloutManifest | undefined,
  records: ReadonlyMap<string, HostRolloutState> | undefined,
): ApiRollouts['rollouts'][number]['waves'] {
  if (!manifest) return [];
  return manifest.waves.map((w, index) => {
    const members = manifest.hostSet.filter((h) => h.waveIndex === index);
    const count = (pred: (r: HostRolloutState | undefined) => boolean): number =>
      members.filter((h) => pred(records?.get(h.hostname))).length;
    return {
      index,
      soakMinutes: w.soakMinutes,
      hosts: members.length,
      pending: count((r) => r === undefined || r.state === 'Pending'),
      inFlight: count((r) => r !== undefined && IN_FLIGHT.has(r.state)),
      converged: count((r) => r?.state === 'Converged'),
      failed: count((r) => r?.state === 'Failed' || r?.state === 'Reverted'),
      deferred: count((r) => r?.state === 'Deferred'),
    };
  });
}

/** Covered hosts in flight across every active rollout, per budget selector label. */
function budgetUsage(state: State): Map<string, number> {
  const inFlight = new Set<string>();
  for (const [id, recs] of state.hosts) {
    const r = ownValue(state.book.rollouts, id);
    if (!r || !['Opening', 'Active', 'Converging'].includes(r.state)) continue;
    for (const rec of recs.values()) if (IN_FLIGHT.has(rec.state)) inFlight.add(rec.hostname);
  }
  const usage = new Map<string, number>();
  for (const [, m] of state.artifacts.manifests) {
    for (const b of m.value.disruptionBudgets) {
      usage.set(selectorLabel(b.selector), b.hosts.filter((h) => inFlight.has(h)).length);
    }
  }
  return usage;
}

/** One rollout row of GET /v1/rollouts. */
export function rolloutRow(state: State, r: RolloutRecord, usage = budgetUsage(state)) {
  const manifest = state.artifacts.manifests.get(r.rolloutId)?.value;
  const terminal = ['Terminal', 'Reverted', 'Failed', 'Superseded', 'Pruned'].includes(r.state);
  return {
    rolloutId: r.rolloutId,
    displayName: manifest?.displayName ?? r.rolloutId,
    channel: r.channel,
    state: r.state,
    openedAt: ts(r.openedAt),
    terminalAt: ts(r.terminalAt),
    currentWave: terminal ? null : r.currentWave,
    waves: waveProgress(manifest, state.hosts.get(r.rolloutId)),
    hold: holdView(rolloutHold(r, manifest)),
    budgets: (manifest?.disruptionBudgets ?? []).map((b) => ({
      label: selectorLabel(b.selector),
      inFlight: usage.get(selectorLabel(b.selector)) ?? 0,
      limit: Math.max(
        1,
        Math.min(budgetLimit(b.maxInFlight, b.maxInFlightPct, b.hosts.length), 1_000_000),
      ),
    })),
    // Kept from the CP's earlier view for existing readers.
    targetRef: r.targetRef,
    waveCount: r.waveCount,
    counts: r.counts,
    skipped: r.skipped,
    catchUpHosts: r.catchUpHosts,
    haltedBy: r.haltedBy,
    lastTransitionAt: ts(r.lastTransitionAt),
    supersededAt: ts(r.supersededAt),
    supersededBy: r.supersededBy,
  } satisfies ApiRollouts['rollouts'][number];
}

function holdView(h: RolloutHold | null): ApiRollouts['rollouts'][number]['hold'] {
  return h === null ? null : { ...h, since: ts(h.since) };
}

/** GET /v1/rollouts: newest first. */
export function rolloutsView(state: State, now: number): ApiRollouts {
  const usage = budgetUsage(state);
  const rollouts = Object.values(state.book.rollouts)
    .sort((a, b) => b.openedAt - a.openedAt || (a.rolloutId < b.rolloutId ? -1 : 1))
    .map((r) => rolloutRow(state, r, usage));
  return { generatedAt: toRfc3339(now), rollouts } satisfies ApiRollouts;
}

/** GET /v1/channels/{name}; null when the channel is not in the verified fleet. */
export function channelView(
  state: State,
  name: string,
): (ApiChannel & Record<string, unknown>) | null {
  const fleet = state.artifacts.fleet?.value ?? null;
  const channel = fleet ? ownValue(fleet.channels, name) : undefined;
  if (!fleet || !channel) return null;
  const active = ownValue(state.book.activeByChannel, name) ?? null;
  const rec = active === null ? undefined : ownValue(state.book.rollouts, active);
  const reverter = (closure: string): string | null => {
    for (const [id, recs] of state.hosts) {
      for (const r of recs.values())
        if (r.channel === name && r.targetClosure === closure && r.state === 'Reverted') return id;
    }
    return null;
  };
  // A newer signed manifest for the channel than the active rollout waits (depth ≤ 1).
  const newest = [...state.artifacts.manifests.values()]
    .filter((m) => m.value.channel === name)
    .sort((a, b) => (a.signedAt < b.signedAt ? 1 : -1))[0];
  const newestId = newest ? `${newest.value.channel}@${newest.value.channelRef}` : null;
  const queued =
    newestId !== null &&
    newestId !== active &&
    ownValue(state.book.rollouts, newestId) === undefined &&
    active !== null
      ? newestId
      : null;
  return {
    name,
    rolloutPolicy: channel.rolloutPolicy,
    freshnessWindow: channel.freshnessWindow,
    artifactSignedAt: state.artifacts.fleet?.signedAt ?? null,
    artifactCiCommit: fleet.meta.ciCommit,
    activeRollout: active,
    queuedRollout: queued,
    hosts: Object.entries(fleet.hosts)
      .filter(([, h]) => h.channel === name)
      .map(([h]) => h)
      .sort(),
    quarantinedClosures: [
      ...(state.quarantines.get(name) ?? new Map<string, { quarantinedAt: number }>()),
    ].map(([closure, q]) => ({
      closure,
      since: toRfc3339(q.quarantinedAt),
      rolloutId: reverter(closure),
    })),
    config: channel,
    activeRolloutView: rec === undefined ? null : rolloutRow(state, rec),
  } satisfies ApiChannel & Record<string, unknown>;
}

/** GET /v1/deferrals. */
export function deferralsView(state: State): ApiDeferrals {
  const deferrals: ApiDeferrals['deferrals'] = [];
  for (const m of state.hosts.values()) {
    for (const r of m.values()) {
      if (r.state !== 'Deferred' || r.deferredComponent === null || r.deferredAt === null) continue;
      deferrals.push({
        hostname: r.hostname,
        rolloutId: r.rolloutId,
        component: r.deferredComponent,
        deferredAt: toRfc3339(r.deferredAt),
        targetClosure: r.targetClosure,
      });
    }
  }
  return {
    deferrals: deferrals.sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
  } satisfies ApiDeferrals;
}

/** The contract fields of /healthz: alerts from artifacts that failed verification. */
export function healthAlerts(rt: CpRuntime): Pick<ApiHealth, 'alerts' | 'fleetSignedAt'> {
  const alerts: ApiHealth['alerts'] = [];
  if (rt.poller === null) {
    alerts.push({
      code: 'CP_ERR_NO_ARTIFACT_SOURCE',
      message:
        'no --release-dir or --artifact-url: this CP has no release to serve and never plans a rollout',
      since: toRfc3339(rt.startedAt),
      artifact: 'fleet.resolved',
      path: null,
    });
  }
  for (const [artifact, h] of Object.entries(rt.poller?.health ?? {})) {
    if (h.ok || h.lastError === null) continue;
    // An absent artifact's message already says what is served instead.
    const kept = h.signedAt && h.present ? `; keeping the snapshot signed ${h.signedAt}` : '';
    alerts.push({
      code: h.lastError.code,
      message: `${artifact} ${h.lastError.path}: ${h.lastError.message}${kept}`,
      since: toRfc3339(h.lastError.at),
      artifact,
      path: h.lastError.path,
      ...(h.lastError.rollback ?? {}),
    });
  }
  // A failing notification sink degrades the CP, never takes it down:
  // rollouts go on, and its notifications wait in the outbox.
  for (const [sink, h] of Object.entries(rt.outbox?.health() ?? {})) {
    if (h.status !== 'failing' || h.lastError === null) continue;
    alerts.push({
      code: 'CP_ERR_NOTIFY_SINK',
      message: `notification sink ${sink} failing (${h.consecutiveFailures} attempts in a row): ${h.lastError.message}; ${h.pending} pending`,
      since: h.lastError.at,
      artifact: null,
      path: null,
    });
  }
  return { alerts, fleetSignedAt: rt.state.committed.artifacts.fleet?.signedAt ?? null };
}
