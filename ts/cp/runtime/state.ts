// The mutator's working state: the core's fleet model (rollout book and host
// records), liveness, quarantines, the dispatch outbox, revocations, consumed
// bootstrap nonces, the verified artifacts and what the last tick planned.
// Loaded from storage at start and after a failed commit. Fields are private:
// every write is a method, called from mutator commands only, and each write
// is recorded as a change the mutator publishes to the committed view
// (committed.ts) once its batch is durable. Readers outside the mutator read
// `committed`, never the working state, which may run a batch ahead of disk.
import {
  emptyFleetModel,
  type ApplyResult,
  type FleetModel,
  type FleetRead,
  type HostRolloutState,
  type LogEntry,
  type RefusalBook,
  type RolloutBook,
  type RolloutRecord,
} from '../../core/index.ts';
import type { Dispatch, RolloutManifest } from '../../contracts/index.ts';
import type { HighWaterMarks } from '../../trust/index.ts';
import type { HostRow, RevocationRow, Storage, TokenUseRow, WriteOp } from '../storage/types.ts';
import { EMPTY_SNAPSHOT, type ArtifactSnapshot } from './artifacts.ts';
import { CommittedFleet, type Change, type CommittedView, type TickView } from './committed.ts';

type Quarantines = Map<string, Map<string, { quarantinedAt: number }>>;

/** The mutator's state (see module header). */
export class CpState {
  private fleet: FleetModel;
  private readonly live = new Map<string, HostRow>();
  private readonly unreach = new Set<string>();
  private readonly quarantined: Quarantines = new Map();
  private readonly queued = new Map<string, Dispatch>();
  private revoked: ReadonlyMap<string, RevocationRow> = new Map();
  private readonly used = new Map<string, TokenUseRow>();
  private snapshot: ArtifactSnapshot = EMPTY_SNAPSHOT;
  private marks: HighWaterMarks = new Map();
  private manifests: ReadonlyMap<string, RolloutManifest> = new Map();
  /**
   * Replays asked of agents (hostKey → when) and hosts confirmed by
   * orphan-confirm recovery: in memory only (accepted loss — after a restart
   * the CP simply asks for the replay once more).
   */
  private readonly replayAsked = new Map<string, number>();
  private readonly orphanConfirmed = new Set<string>();
  /**
   * The last tick's decisions, held plan and pacing rate: in memory only,
   * derivable (the next full tick plans them again; the pacer restarts at
   * its configured rate).
   */
  private ticked: TickView;
  private changes: Change[] = [];
  private view = new CommittedFleet();
  /** Planner layout cache (manifests are immutable by id); the planner's memo, not fleet state. */
  readonly layouts = new Map();

  constructor(readonly retentionMs: number) {
    this.fleet = emptyFleetModel({ retentionMs });
    this.ticked = this.view.tick;
  }

  /** What routes, the dispatch hub and metrics read (see committed.ts). */
  get committed(): CommittedView {
    return this.view;
  }

  /** The core's model, read-only (writes go through {@link applyCore}). */
  get model(): {
    readonly book: RolloutBook;
    readonly hosts: ReadonlyMap<string, ReadonlyMap<string, HostRolloutState>>;
  } {
    return this.fleet;
  }
  get book(): RolloutBook {
    return this.fleet.book;
  }
  /** Host records by rolloutId, then hostname. */
  get hosts(): ReadonlyMap<string, ReadonlyMap<string, HostRolloutState>> {
    return this.fleet.hosts;
  }
  get liveness(): ReadonlyMap<string, HostRow> {
    return this.live;
  }
  get unreachable(): ReadonlySet<string> {
    return this.unreach;
  }
  get quarantines(): ReadonlyMap<string, ReadonlyMap<string, { readonly quarantinedAt: number }>> {
    return this.quarantined;
  }
  /** Outbox as the mutator sees it (may be ahead of the commit). */
  get outbox(): ReadonlyMap<string, Dispatch> {
    return this.queued;
  }
  get revocations(): ReadonlyMap<string, RevocationRow> {
    return this.revoked;
  }
  get tokens(): ReadonlyMap<string, TokenUseRow> {
    return this.used;
  }
  get artifacts(): ArtifactSnapshot {
    return this.snapshot;
  }
  /** Newest adopted signedAt per channel (rollback refusal; `artifact_high_water`). */
  get highWater(): HighWaterMarks {
    return this.marks;
  }
  /** Manifests by rollout id as the planner reads them. */
  get manifestValues(): ReadonlyMap<string, RolloutManifest> {
    return this.manifests;
  }
  get tick(): TickView {
    return this.ticked;
  }
  /** The fleet as the core's observation handlers read it. */
  fleetRead(): FleetRead {
    return { rollouts: this.fleet.book, hosts: this.fleet.hosts, manifests: this.manifests };
  }

  /** Replaces the state and the committed view with what storage holds. */
  async loadFrom(storage: Storage): Promise<void> {
    const s = await storage.load();
    const view = new CommittedFleet();
    this.fleet = emptyFleetModel({ retentionMs: this.retentionMs });
    const rollouts: Record<string, RolloutRecord> = {};
    const active: Record<string, string | null> = {};
    for (const { record, holdsChannel } of s.rollouts) {
      rollouts[record.rolloutId] = record;
      if (holdsChannel) active[record.channel] = record.rolloutId;
    }
    this.fleet.book = view.book = { rollouts, activeByChannel: active };
    for (const rec of s.hostRecords) {
      this.putRecord(rec);
      view.putRecord(rec);
    }
    this.live.clear();
    for (const h of s.hosts) {
      this.live.set(h.hostname, h);
      view.liveness.set(h.hostname, h);
    }
    for (const h of this.unreach) view.unreachable.add(h);
    this.quarantined.clear();
    for (const q of s.quarantines) {
      for (const m of [this.quarantined, view.quarantines]) {
        let c = m.get(q.channel);
        if (!c) m.set(q.channel, (c = new Map()));
        c.set(q.closure, { quarantinedAt: q.quarantinedAt });
      }
    }
    this.queued.clear();
    for (const d of s.dispatches) {
      this.queued.set(d.hostname, d.payload);
      view.outbox.set(d.hostname, d.payload);
    }
    this.revoked = view.revocations = new Map(s.revocations.map((r) => [r.hostname, r]));
    this.used.clear();
    for (const t of s.tokens) {
      this.used.set(t.nonce, t);
      view.tokens.set(t.nonce, t);
    }
    this.marks = view.highWater = new Map(
      s.highWater.map((h) => [h.channel, { signedAt: h.signedAt, release: h.release }]),
    );
    this.ticked = view.tick = { ...this.ticked, heldDispatches: null };
    view.artifacts = this.snapshot;
    view.enrollRefusals = this.view.enrollRefusals;
    this.changes = [];
    this.view = view;
  }

  /** The changes recorded since the last call: one batch's, sealed with it. */
  takeChanges(): readonly Change[] {
    const c = this.changes;
    this.changes = [];
    return c;
  }

  /** How many changes are recorded: a mark to drop back to when a command fails half-way. */
  changeMark(): number {
    return this.changes.length;
  }
  dropChanges(mark: number): void {
    this.changes.length = mark;
  }

  /** Publishes a durable batch's changes to the committed view (in commit order). */
  publish(changes: readonly Change[]): void {
    for (const c of changes) c(this.view);
  }

  /** A host record, if any. */
  record(rolloutId: string, hostname: string): HostRolloutState | undefined {
    return this.fleet.hosts.get(rolloutId)?.get(hostname);
  }

  /** Every record of one host across rollouts. */
  recordsOf(hostname: string): HostRolloutState[] {
    const out: HostRolloutState[] = [];
    for (const m of this.fleet.hosts.values()) {
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
    let m = this.fleet.hosts.get(rec.rolloutId);
    if (!m) this.fleet.hosts.set(rec.rolloutId, (m = new Map()));
    m.set(rec.hostname, rec);
  }

  /**
   * Runs one core application against the model. On rejection the model is
   * restored exactly; on success returns the log entries it appended (taken
   * out of the model: the batch turns them into event_log rows) and records
   * the touched host records and the new book as changes.
   */
  applyCore(
    touches: { readonly rolloutId: string; readonly hostname: string } | null,
    run: (model: FleetModel) => ApplyResult,
  ): { readonly result: ApplyResult; readonly entries: readonly LogEntry[] } {
    const model = this.fleet;
    const book = model.book;
    const logStart = model.log.length;
    const prev = touches === null ? undefined : this.record(touches.rolloutId, touches.hostname);
    const result = run(model);
    if (!result.ok) {
      model.book = book;
      model.log.length = logStart;
      if (touches !== null) {
        const m = model.hosts.get(touches.rolloutId);
        if (prev === undefined) m?.delete(touches.hostname);
        else m?.set(touches.hostname, prev);
      }
      return { result, entries: [] };
    }
    const entries = model.log.splice(logStart);
    for (const e of entries) {
      if (e.stream !== 'host') continue;
      const rec = this.record(e.rolloutId, e.hostname);
      if (rec !== undefined) this.changes.push((v) => v.putRecord(rec));
    }
    if (model.book !== book) {
      const next = model.book;
      this.changes.push((v) => (v.book = next));
    }
    return { result, entries };
  }

  /** A heartbeat: the host's liveness row, written to the batch; it is reachable again. */
  noteHeartbeat(batch: { push(op: WriteOp): void }, row: HostRow): void {
    this.live.set(row.hostname, row);
    this.unreach.delete(row.hostname);
    batch.push({ op: 'upsertHost', row });
    this.changes.push((v) => {
      v.liveness.set(row.hostname, row);
      v.unreachable.delete(row.hostname);
    });
  }

  /** The liveness sweep found the host silent past the offline limit. */
  markUnreachable(hostname: string): void {
    this.unreach.add(hostname);
    this.changes.push((v) => v.unreachable.add(hostname));
  }

  /** Quarantines `closure` on `channel`; false when it already was. */
  quarantine(channel: string, closure: string, at: number): boolean {
    let c = this.quarantined.get(channel);
    if (!c) this.quarantined.set(channel, (c = new Map()));
    if (c.has(closure)) return false;
    c.set(closure, { quarantinedAt: at });
    this.changes.push((v) => {
      let c = v.quarantines.get(channel);
      if (!c) v.quarantines.set(channel, (c = new Map()));
      c.set(closure, { quarantinedAt: at });
    });
    return true;
  }

  clearQuarantine(channel: string, closure: string): void {
    this.quarantined.get(channel)?.delete(closure);
    this.changes.push((v) => v.quarantines.get(channel)?.delete(closure));
  }

  /** Queues a dispatch for long-polls (handed out once committed). */
  queueDispatch(hostname: string, payload: Dispatch): void {
    this.queued.set(hostname, payload);
    this.changes.push((v) => v.outbox.set(hostname, payload));
  }

  /** Drops the host's queued dispatch of `rolloutId`; false when none is queued. */
  dropDispatch(hostname: string, rolloutId: string): boolean {
    const q = this.queued.get(hostname);
    if (q === undefined || q.rollout_id !== rolloutId) return false;
    this.queued.delete(hostname);
    this.changes.push((v) => {
      if (v.outbox.get(hostname)?.rollout_id === rolloutId) v.outbox.delete(hostname);
    });
    return true;
  }

  noteTokenUse(row: TokenUseRow): void {
    this.used.set(row.nonce, row);
    this.changes.push((v) => v.tokens.set(row.nonce, row));
  }

  /** Forgets consumed nonces that expired before `before`. */
  pruneTokens(before: number): void {
    const drop = (m: Map<string, TokenUseRow>): void => {
      for (const [nonce, t] of m) if (t.expiresAt < before) m.delete(nonce);
    };
    drop(this.used);
    this.changes.push((v) => drop(v.tokens));
  }

  /** Installs a newly adopted artifact snapshot (verified files: not undone by a failed commit). */
  setArtifacts(snapshot: ArtifactSnapshot): void {
    this.snapshot = snapshot;
    this.manifests = new Map([...snapshot.manifests].map(([id, m]) => [id, m.value]));
    this.changes.push((v) => (v.artifacts = snapshot));
  }

  /** Revocations, once the batch that replaced them is durable (after-commit callback). */
  setRevocations(next: ReadonlyMap<string, RevocationRow>): void {
    this.revoked = this.view.revocations = next;
  }

  /** High-water marks, once the batch that raised them is durable (after-commit callback). */
  setHighWater(next: HighWaterMarks): void {
    this.marks = this.view.highWater = next;
  }

  /** What a tick left: any of its fields. */
  noteTick(patch: Partial<TickView>): void {
    const next = { ...this.ticked, ...patch };
    this.ticked = next;
    this.changes.push((v) => (v.tick = next));
  }

  /** When a replay of `rolloutId` was first asked of `hostname`. */
  replayAskedAt(rolloutId: string, hostname: string): number | undefined {
    return this.replayAsked.get(`${rolloutId}\u0000${hostname}`);
  }
  noteReplayAsk(rolloutId: string, hostname: string, at: number): void {
    this.replayAsked.set(`${rolloutId}\u0000${hostname}`, at);
  }
  forgetReplayAsk(rolloutId: string, hostname: string): void {
    this.replayAsked.delete(`${rolloutId}\u0000${hostname}`);
  }
  isOrphanConfirmed(rolloutId: string, hostname: string): boolean {
    return this.orphanConfirmed.has(`${rolloutId}\u0000${hostname}`);
  }
  /** Orphan confirm settled the record: no replay is asked for it again. */
  noteOrphanConfirmed(rolloutId: string, hostname: string): void {
    this.forgetReplayAsk(rolloutId, hostname);
    this.orphanConfirmed.add(`${rolloutId}\u0000${hostname}`);
  }

  /**
   * The latest refused enrollment per claimed hostname (core's bounded
   * book), for the operator's host view. In memory only, deliberately: the
   * claims come from unauthenticated requests, which must cost no disk
   * writes; after a restart the refused agent's next retry records it again.
   * Written outside the mutator and published at once: nothing commits it.
   */
  get enrollRefusals(): RefusalBook {
    return this.view.enrollRefusals;
  }
  recordEnrollRefusals(book: RefusalBook): void {
    this.view.enrollRefusals = book;
  }
}
