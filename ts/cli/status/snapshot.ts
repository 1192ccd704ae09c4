// What the views render, fetched in one go: the fleet (hosts, channels,
// rollouts) for `status`, one rollout with its hosts and decisions for
// `watch`. Owns which routes are called and how answers are joined; the
// views only read these objects.
import type {
  ApiChannel,
  ApiHosts,
  ApiRollouts,
  ApiRolloutTrace,
  Decision,
} from '../../contracts/index.ts';
import type { CpClient } from '../client/cp-client.ts';
import { failingControls, rolloutsToTrace, type FailingControl } from './controls.ts';

/** One rollout of GET /v1/rollouts. */
export type RolloutRow = ApiRollouts['rollouts'][number];

/** Rollout states after which nothing moves any more. */
export const ENDED_ROLLOUT_STATES: ReadonlySet<string> = new Set([
  'Terminal',
  'Failed',
  'Reverted',
  'Superseded',
  'Pruned',
]);

/** Rollout states that count as a failure for exit codes. */
export const FAILED_ROLLOUT_STATES: ReadonlySet<string> = new Set(['Failed', 'Reverted']);

/** The fleet as `nixfleet status` shows it. */
export interface FleetSnapshot {
  /** Epoch ms at which ages are computed. */
  readonly now: number;
  readonly cpUrl: string;
  readonly hosts: ApiHosts;
  /** One per channel named by a host, sorted by name. */
  readonly channels: readonly ApiChannel[];
  readonly rollouts: ApiRollouts;
  /** Compliance controls failing now (docs/compliance.md), by host. */
  readonly failingControls: readonly FailingControl[];
}

/**
 * Fetches hosts and rollouts, then every channel the hosts name and the
 * trace of every rollout in which a host has a failing enforce probe (its
 * failing controls), in parallel: one HTTP/2 session multiplexes them.
 *
 * @example const snap = await loadFleet(client, { now: () => new Date() });
 */
export async function loadFleet(
  client: CpClient,
  options: { readonly now: () => Date; readonly signal?: AbortSignal },
): Promise<FleetSnapshot> {
  const o = options.signal ? { signal: options.signal } : {};
  const [hosts, rollouts] = await Promise.all([client.hosts(o), client.rollouts(o)]);
  const names = [...new Set(hosts.hosts.map((h) => h.channel))].sort();
  const [channels, traces] = await Promise.all([
    Promise.all(names.map((n) => client.channel(n, o))),
    Promise.all(rolloutsToTrace(hosts.hosts).map((id) => client.rolloutTrace(id, o))),
  ]);
  const failing = failingControls(
    hosts.hosts,
    traces.flatMap((t) => t.probeFailures ?? []),
  );
  return {
    now: options.now().getTime(),
    cpUrl: client.origin,
    hosts,
    channels,
    rollouts,
    failingControls: failing,
  };
}

/** One rollout as the watch view shows it. */
export interface RolloutSnapshot {
  readonly now: number;
  readonly cpUrl: string;
  /** The rollout id asked for, or null for "the current one". */
  readonly requested: string | null;
  /** The rollout shown; null when none exists (yet). */
  readonly rollout: RolloutRow | null;
  readonly channel: ApiChannel | null;
  /** Hosts of the rollout's channel. */
  readonly hosts: ApiHosts['hosts'];
  /** Decisions, newest first. */
  readonly decisions: readonly Decision[];
  /** Dispatches of the rollout the CP's admission control holds back; null when none. */
  readonly pacing: ApiRolloutTrace['pacing'];
  /** Compliance controls failing now on the rollout's hosts. */
  readonly failingControls: readonly FailingControl[];
}

/**
 * Picks the rollout to show: the one asked for, else the newest rollout that
 * has not ended, else the newest.
 *
 * @example pickRollout(rollouts, null)?.rolloutId
 */
export function pickRollout(rollouts: ApiRollouts, requested: string | null): RolloutRow | null {
  if (requested !== null) return rollouts.rollouts.find((r) => r.rolloutId === requested) ?? null;
  const live = rollouts.rollouts.find((r) => !ENDED_ROLLOUT_STATES.has(r.state));
  return live ?? rollouts.rollouts[0] ?? null;
}

/**
 * Fetches one rollout with its channel, the channel's hosts and the
 * planner's recent decisions.
 *
 * @example const snap = await loadRollout(client, 'stable@3f2a9c1d', { now: () => new Date() });
 */
export async function loadRollout(
  client: CpClient,
  requested: string | null,
  options: { readonly now: () => Date; readonly signal?: AbortSignal },
): Promise<RolloutSnapshot> {
  const o = options.signal ? { signal: options.signal } : {};
  const rollouts = await client.rollouts(o);
  const rollout = pickRollout(rollouts, requested);
  const base = { cpUrl: client.origin, requested };
  if (rollout === null) {
    return {
      ...base,
      now: options.now().getTime(),
      rollout: null,
      channel: null,
      hosts: [],
      decisions: [],
      pacing: null,
      failingControls: [],
    };
  }
  const [channel, hosts, trace] = await Promise.all([
    client.channel(rollout.channel, o),
    client.hosts(o),
    client.rolloutTrace(rollout.rolloutId, o),
  ]);
  const mine = hosts.hosts.filter((h) => h.channel === rollout.channel);
  return {
    ...base,
    now: options.now().getTime(),
    rollout,
    channel,
    hosts: mine,
    decisions: trace.decisions,
    pacing: trace.pacing,
    failingControls: failingControls(mine, trace.probeFailures ?? []),
  };
}
