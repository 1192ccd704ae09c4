// What the CP infers from observations of a host it lost track of (book §6
// soft state, RFC-0008 §6.2). Adoption: when the CP's database was wiped, the
// agent's replayed DispatchAck re-creates the host record from the signed
// manifest, dated at the agent's own event so the soak window runs from the
// real activation. Orphan confirm: when the agent cannot replay either (its
// journal is gone too), a heartbeat reporting exactly the target closure the
// manifest assigns proves the activation, and the CP synthesises the lost
// DispatchAck + ActivationComplete (no agent seq: they are the CP's
// inference, not agent events). Must never adopt or confirm a host outside
// the manifest, nor confirm a closure other than the verified target.
import type { HostRolloutState, RemoteHostEvent } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import { ownValue } from '../own.ts';
import type { PlanAction } from '../planner/types.ts';
import type { RolloutBook } from '../rollout/types.ts';
import type { CoreTimings, EpochMs } from '../time.ts';

/** The fleet as an observation handler reads it. */
export interface FleetRead {
  readonly rollouts: RolloutBook;
  /** Host records by rolloutId, then hostname. */
  readonly hosts: ReadonlyMap<string, ReadonlyMap<string, HostRolloutState>>;
  /** Verified manifests by rolloutId. */
  readonly manifests: ReadonlyMap<string, ManifestView>;
}

/** The dispatch that re-creates a lost record. */
export type AdoptDispatch = Extract<PlanAction, { kind: 'QueueDispatch' }>;

/** A host record, if any. */
export function recordOf(
  fleet: FleetRead,
  rolloutId: string,
  hostname: string,
): HostRolloutState | undefined {
  return fleet.hosts.get(rolloutId)?.get(hostname);
}

/**
 * The dispatch re-creating the lost record of `hostname` in `rolloutId`,
 * issued at `at` (the agent's first replayed event), or null when the rollout
 * or the manifest cannot host it. A host joining a wave other than the current
 * one (or a finished rollout) joins as catch-up, like any late host.
 *
 * @example adoption(fleet, { rolloutId: 'stable@ab12', hostname: 'web-01', at }, timings)?.kind === 'QueueDispatch'
 */
export function adoption(
  fleet: FleetRead,
  args: { readonly rolloutId: string; readonly hostname: string; readonly at: EpochMs },
  timings: Pick<CoreTimings, 'confirmWindowMs'>,
): AdoptDispatch | null {
  const manifest = fleet.manifests.get(args.rolloutId);
  const rollout = ownValue(fleet.rollouts.rollouts, args.rolloutId);
  const member = manifest?.hostSet.find((h) => h.hostname === args.hostname);
  if (manifest === undefined || rollout === undefined || member === undefined) return null;
  const soakMs = (manifest.waves[member.waveIndex]?.soakMinutes ?? 0) * 60_000;
  return {
    kind: 'QueueDispatch',
    rolloutId: args.rolloutId,
    hostname: args.hostname,
    channel: manifest.channel,
    wave: member.waveIndex,
    targetClosure: member.targetClosure,
    issuedAt: args.at,
    soakDueAt: args.at + soakMs,
    confirmDeadline: args.at + timings.confirmWindowMs,
    catchUp: rollout.state === 'Terminal' || member.waveIndex !== rollout.currentWave,
  };
}

/** What to do with an agent event for which the CP may hold no record. */
export type EventAdoption =
  | { readonly kind: 'known' }
  | { readonly kind: 'adopt'; readonly dispatch: AdoptDispatch }
  | { readonly kind: 'refuse' };

/**
 * Whether an agent event needs its record adopted first. Only the first
 * event of a host's rollout (its answer to the dispatch) can re-create a lost
 * record; anything else without a record is refused.
 *
 * @example eventAdoption(fleet, 'stable@ab12', 'web-01', ack, now).kind === 'adopt'
 */
export function eventAdoption(
  fleet: FleetRead,
  rolloutId: string,
  hostname: string,
  event: RemoteHostEvent,
  now: EpochMs,
  timings: Pick<CoreTimings, 'confirmWindowMs'>,
): EventAdoption {
  if (recordOf(fleet, rolloutId, hostname) !== undefined) return { kind: 'known' };
  if (event.kind !== 'RemoteDispatchAck' && event.kind !== 'RemoteDispatchReject')
    return { kind: 'refuse' };
  const dispatch = adoption(
    fleet,
    { rolloutId, hostname, at: 'at' in event ? event.at : now },
    timings,
  );
  return dispatch === null ? { kind: 'refuse' } : { kind: 'adopt', dispatch };
}

/**
 * The target closure when `currentClosure` proves the host activated
 * `rolloutId` — the rollout is held (not superseded, not pruned) and its
 * verified manifest assigns exactly that closure to the host — else null.
 *
 * @example orphanTarget(fleet, 'stable@ab12', 'web-01', '/nix/store/…-target') // the target
 */
export function orphanTarget(
  fleet: FleetRead,
  rolloutId: string,
  hostname: string,
  currentClosure: string | null,
): string | null {
  if (currentClosure === null) return null;
  const rollout = ownValue(fleet.rollouts.rollouts, rolloutId);
  if (rollout === undefined || rollout.supersededAt !== null || rollout.prunedAt !== null)
    return null;
  const member = fleet.manifests.get(rolloutId)?.hostSet.find((h) => h.hostname === hostname);
  return member !== undefined && member.targetClosure === currentClosure ? currentClosure : null;
}

/** The confirmation the CP lost, synthesised (no agent seq), in application order. */
export function orphanConfirmEvents(closure: string, at: EpochMs): readonly RemoteHostEvent[] {
  return [
    { kind: 'RemoteDispatchAck', seq: null, currentClosureAtDispatch: null, at },
    { kind: 'RemoteActivationComplete', seq: null, observed: closure, exitCode: 0, at },
  ];
}
