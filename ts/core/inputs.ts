// Structural inputs of the planner: only the fields it reads, tied to the
// generated contract types (ts/contracts) by `Pick`, plus the observed state
// the CP runtime assembles each tick. Owns no behaviour. Must never widen a
// contract shape; a new field the planner needs is picked here, from the
// generated type, not re-declared.
import type { FleetResolved, RolloutManifest } from '../contracts/index.ts';
import type { HostRolloutState } from './host/types.ts';
import type { RolloutBook } from './rollout/types.ts';
import type { CoreTimings, EpochMs } from './time.ts';

/** The frozen per-rollout plan the planner reads (signed rollout manifest). */
export type ManifestView = Pick<
  RolloutManifest,
  | 'channel'
  | 'channelRef'
  | 'hostSet'
  | 'waves'
  | 'onHealthFailure'
  | 'disruptionBudgets'
  | 'operatorClear'
>;

/** The fleet-wide ordering the planner reads (verified fleet.resolved). */
export type FleetView = Pick<FleetResolved, 'edges' | 'channelEdges' | 'operators'>;

/** Liveness of one host, from heartbeats. */
export interface HostLiveness {
  readonly lastHeartbeatAt: EpochMs;
}

/** A quarantined closure on a channel (the `quarantined_closures` view). */
export interface QuarantineEntry {
  readonly quarantinedAt: EpochMs;
}

/**
 * Everything `planNext` reads, assembled by the CP runtime from the event
 * log, the derived views and the verified artifacts. Large collections are
 * maps so that a 100,000-host tick stays linear.
 */
export interface PlannerInput {
  /** Latest verified channel ref per channel (`null`: nothing released yet). */
  readonly channelRefs: ReadonlyMap<string, string | null>;
  /** Verified manifests by rolloutId (current rollouts and candidate refs). */
  readonly manifests: ReadonlyMap<string, ManifestView>;
  readonly fleet: FleetView;
  /** The rollout reducer's book. */
  readonly rollouts: RolloutBook;
  /** Host records by rolloutId, then hostname (the host reducer's cache). */
  readonly hosts: ReadonlyMap<string, ReadonlyMap<string, HostRolloutState>>;
  /** Heartbeat liveness by hostname; a host never seen is offline. */
  readonly liveness: ReadonlyMap<string, HostLiveness>;
  /** Quarantined closures by channel, then closure. */
  readonly quarantines: ReadonlyMap<string, ReadonlyMap<string, QuarantineEntry>>;
  readonly timings: CoreTimings;
}
