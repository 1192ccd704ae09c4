// The mutator's in-memory state: the core's fleet model (rollout book and
// host records), liveness, quarantines, the dispatch outbox, revocations,
// consumed bootstrap nonces and the verified artifacts. Loaded from storage
// at start and after a failed commit. Only the mutator writes it; routes read
// the committed views (`committedOutbox`, `revocations`, `artifacts`).
import {
  emptyFleetModel,
  type Decision,
  type FleetModel,
  type HeldDispatches,
  type HostRolloutState,
  type RefusalBook,
  type RolloutRecord,
} from '../../core/index.ts';
import type { Dispatch } from '../../contracts/index.ts';
import type { RolloutManifest } from '../../contracts/index.ts';
import type { HighWaterMarks } from '../../trust/index.ts';
import type { Storage, HostRow, RevocationRow, TokenUseRow } from '../storage/types.ts';
import { EMPTY_SNAPSHOT, type ArtifactSnapshot } from './artifacts.ts';

/** The mutator's state (see module header). */
export class CpState {
  model: FleetModel;
  readonly liveness = new Map<string, HostRow>();
  readonly unreachable = new Set<string>();
  readonly quarantines = new Map<string, Map<string, { quarantinedAt: number }>>();
  /** Outbox as the mutator sees it (may be ahead of the commit). */
  readonly outbox = new Map<string, Dispatch>();
  /** Outbox as committed: what long-polls may hand out. */
  readonly committedOutbox = new Map<string, Dispatch>();
  revocations = new Map<string, RevocationRow>();
  readonly tokens = new Map<string, TokenUseRow>();
  artifacts: ArtifactSnapshot = EMPTY_SNAPSHOT;
  /** Newest adopted signedAt per channel (rollback refusal; `artifact_high_water`). */
  highWater: HighWaterMarks = new Map();
  /** Manifests by rollout id as the planner reads them. */
  manifestValues = new Map<string, RolloutManifest>();
  /** Planner layout cache (manifests are immutable by id). */
  readonly layouts = new Map();
  /**
   * Replays asked of agents (hostKey → when) and hosts confirmed by
   * orphan-confirm recovery: in memory only (accepted loss — after a restart
   * the CP simply asks for the replay once more).
   */
  readonly replayAsked = new Map<string, number>();
  readonly orphanConfirmed = new Set<string>();
  lastDecisions: readonly Decision[] = [];
  /**
   * Dispatches the last full tick planned but the pacer held back; paced
   * steps release them without replanning (in memory only: derivable — the
   * next full tick plans them again).
   */
  heldDispatches: HeldDispatches | null = null;
  /**
   * The dispatch pacer's rate (hosts/s) as of the last automatic tick, for
   * the trace's `pacing` (in memory only: derivable, the pacer restarts at
   * its configured rate).
   */
  dispatchRate: number | null = null;
  /**
   * The latest refused enrollment per claimed hostname (core's bounded
   * book), for the operator's host view. In memory only, deliberately: the
   * claims come from unauthenticated requests, which must cost no disk
   * writes; after a restart the refused agent's next retry records it again.
   */
  enrollRefusals: RefusalBook = new Map();
  lastTickAt: number | null = null;
  /** When `lastDecisions` were planned (busy CPs explain at most every 2 s). */
  lastDecisionsAt: number | null = null;
  lastTickMs: number | null = null;

  constructor(readonly retentionMs: number) {
    this.model = emptyFleetModel({ retentionMs });
  }

  /** Replaces the state with what storage holds (start, or after a failed commit). */
  async loadFrom(storage: Storage): Promise<void> {
    const s = await storage.load();
    this.heldDispatches = null;
    this.model = emptyFleetModel({ retentionMs: this.retentionMs });
    const rollouts: Record<string, RolloutRecord> = {};
    const active: Record<string, string | null> = {};
    for (const { record, holdsChannel } of s.rollouts) {
      rollouts[record.rolloutId] = record;
      if (holdsChannel) active[record.channel] = record.rolloutId;
    }
    this.model.book = { rollouts, activeByChannel: active };
    for (const rec of s.hostRecords) this.putRecord(rec);
    this.liveness.clear();
    for (const h of s.hosts) this.liveness.set(h.hostname, h);
    this.quarantines.clear();
    for (const q of s.quarantines) {
      let m = this.quarantines.get(q.channel);
      if (!m) this.quarantines.set(q.channel, (m = new Map()));
      m.set(q.closure, { quarantinedAt: q.quarantinedAt });
    }
    this.outbox.clear();
    this.committedOutbox.clear();
    for (const d of s.dispatches) {
      this.outbox.set(d.hostname, d.payload);
      this.committedOutbox.set(d.hostname, d.payload);
    }
    this.revocations = new Map(s.revocations.map((r) => [r.hostname, r]));
    this.tokens.clear();
    for (const t of s.tokens) this.tokens.set(t.nonce, t);
    this.highWater = new Map(
      s.highWater.map((h) => [h.channel, { signedAt: h.signedAt, release: h.release }]),
    );
  }

  /** A host record, if any. */
  record(rolloutId: string, hostname: string): HostRolloutState | undefined {
    return this.model.hosts.get(rolloutId)?.get(hostname);
  }

  /** Every record of one host across rollouts. */
  recordsOf(hostname: string): HostRolloutState[] {
    const out: HostRolloutState[] = [];
    for (const m of this.model.hosts.values()) {
      const r = m.get(hostname);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** The host's most recent record (latest dispatch). */
  latestRecordOf(hostname: string): HostRolloutState | undefined {
    let best: HostRolloutState | undefined;
    for (const r of this.recordsOf(hostname)) {
      if (best === undefined || r.dispatchedAt > best.dispatchedAt) best = r;
    }
    return best;
  }

  private putRecord(rec: HostRolloutState): void {
    let m = this.model.hosts.get(rec.rolloutId);
    if (!m) this.model.hosts.set(rec.rolloutId, (m = new Map()));
    m.set(rec.hostname, rec);
  }

  /** Installs a newly adopted artifact snapshot. */
  setArtifacts(snapshot: ArtifactSnapshot): void {
    this.artifacts = snapshot;
    this.manifestValues = new Map([...snapshot.manifests].map(([id, m]) => [id, m.value]));
  }
}
