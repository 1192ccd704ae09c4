// The storage seam of the control plane. Routes, the mutator and the planner
// glue talk to this interface only, so a PostgreSQL backend can be added
// without touching them. Writes are data (a batch of operations applied in
// one transaction); event_log rows are referenced inside a batch by local id
// so derived rows carry the seq of their event_log row in the same commit.
// Must never expose driver types.
import type { HostRolloutState, RolloutRecord } from '../../core/index.ts';
import type { Dispatch, Notification } from '../../contracts/index.ts';

/** Event-log streams: reducer inputs (host, rollout) and audit-only rows. */
export type EventStream = 'host' | 'rollout' | 'bootstrap' | 'agent' | 'cp';

/** One event_log row as written. */
export interface EventRow {
  /** Assigned by the store (AUTOINCREMENT); absent on write. */
  readonly seq?: number;
  /** CP clock when the row was recorded (epoch ms). */
  readonly recordedAt: number;
  readonly stream: EventStream;
  readonly rolloutId: string | null;
  readonly hostname: string | null;
  /**
   * The agent's seq for agent events. `(hostname, rolloutId, agentSeq)` is
   * unique across every stream: a second row with the same key is not
   * stored, and references to it within the batch resolve to the stored one
   * (idempotent ingest; every backend enforces it in its schema).
   */
  readonly agentSeq: number | null;
  readonly kind: string;
  /** JSON body: the core log entry for reducer streams, the wire body otherwise. */
  readonly body: unknown;
}

/** Liveness row of one host (`hosts` table). */
export interface HostRow {
  readonly hostname: string;
  readonly lastHeartbeatAt: number;
  readonly currentClosure: string | null;
  readonly agentVersion: string | null;
  readonly uptimeSecs: number | null;
}

/** A quarantined closure (`quarantined_closures` view). */
export interface QuarantineRow {
  readonly channel: string;
  readonly closure: string;
  readonly quarantinedAt: number;
}

/** A signed revocation entry, replayed from the verified sidecar. */
export interface RevocationRow {
  readonly hostname: string;
  readonly notBefore: number;
  readonly reason: string | null;
  readonly revokedBy: string | null;
}

/** The newest adopted signedAt of one channel (`artifact_high_water`). */
export interface HighWaterRow {
  readonly channel: string;
  readonly signedAt: string;
  /** `signedAt` as epoch ms; a write never lowers it. */
  readonly signedAtMs: number;
  readonly release: string;
}

/** A consumed bootstrap nonce (`token_replay`). */
export interface TokenUseRow {
  readonly nonce: string;
  readonly hostname: string;
  readonly usedAt: number;
  readonly expiresAt: number;
  /**
   * Fingerprint of the key the token was first used with (null on rows
   * written before schema version 2: such a token is never re-issued).
   */
  readonly fingerprint: string | null;
  /** Certificates issued for the token: 1, plus one per lost-response retry. */
  readonly issued: number;
}

/** Delivery state of one outbox row. */
export type OutboxState = 'pending' | 'delivered' | 'failed';

/** One notification for one sink (`notification_outbox`). */
export interface OutboxRow {
  /** The notification's dedupe id (payload `id`). */
  readonly dedupeId: string;
  /** The configured sink's name (`nats`, `matrix`, `webhook`). */
  readonly sink: string;
  readonly payload: Notification;
  readonly createdAt: number;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
}

/** One write of a batch. `eventRef` names an `appendEvent` op of the same batch. */
export type WriteOp =
  | { readonly op: 'appendEvent'; readonly id: number; readonly row: EventRow }
  | {
      readonly op: 'upsertHostRecord';
      readonly record: HostRolloutState;
      readonly eventRef: number | null;
    }
  | {
      readonly op: 'upsertRollout';
      readonly record: RolloutRecord;
      readonly holdsChannel: boolean;
      readonly eventRef: number | null;
    }
  | {
      readonly op: 'insertQuarantine';
      readonly row: QuarantineRow;
      readonly eventRef: number | null;
    }
  | { readonly op: 'deleteQuarantine'; readonly channel: string; readonly closure: string }
  | {
      readonly op: 'putDispatch';
      readonly hostname: string;
      readonly payload: Dispatch;
      readonly eventRef: number | null;
    }
  | { readonly op: 'deleteDispatch'; readonly hostname: string; readonly rolloutId: string }
  | { readonly op: 'upsertHost'; readonly row: HostRow }
  | {
      readonly op: 'insertProbeFailure';
      readonly rolloutId: string;
      readonly hostname: string;
      readonly probe: string;
      readonly controlId: string | null;
      readonly framework: string | null;
      readonly article: string | null;
      readonly reason: string | null;
      readonly observedAt: number;
      readonly eventRef: number | null;
    }
  | { readonly op: 'putTokenUse'; readonly row: TokenUseRow }
  | { readonly op: 'replaceRevocations'; readonly rows: readonly RevocationRow[] }
  | { readonly op: 'raiseHighWater'; readonly row: HighWaterRow }
  | {
      /** Stored once per (dedupeId, sink): a second enqueue of the same notification is a no-op. */
      readonly op: 'enqueueNotification';
      readonly row: OutboxRow;
      readonly eventRef: number | null;
    }
  | {
      readonly op: 'notificationAttempted';
      readonly dedupeId: string;
      readonly sink: string;
      readonly attempts: number;
      readonly nextAttemptAt: number;
      readonly lastError: string | null;
    }
  | {
      readonly op: 'notificationFinished';
      readonly dedupeId: string;
      readonly sink: string;
      readonly state: 'delivered' | 'failed';
      readonly attempts: number;
      readonly lastError: string | null;
      readonly finishedAt: number;
    }
  | { readonly op: 'pruneEvents'; readonly before: number }
  | { readonly op: 'pruneTokens'; readonly before: number };

/** Everything the mutator loads at start. */
export interface StoredState {
  readonly hostRecords: readonly HostRolloutState[];
  readonly rollouts: readonly { readonly record: RolloutRecord; readonly holdsChannel: boolean }[];
  readonly quarantines: readonly QuarantineRow[];
  readonly hosts: readonly HostRow[];
  readonly dispatches: readonly { readonly hostname: string; readonly payload: Dispatch }[];
  readonly revocations: readonly RevocationRow[];
  readonly tokens: readonly TokenUseRow[];
  readonly highWater: readonly HighWaterRow[];
}

/** A probe_failures row, for the operator views. */
export interface ProbeFailureRow {
  readonly rolloutId: string;
  readonly hostname: string;
  readonly probe: string;
  readonly controlId: string | null;
  readonly framework: string | null;
  /** The control's article in its framework; null when not a control or none given. */
  readonly article: string | null;
  /** The probe's failure text (failure_reason); null when the agent gave none. */
  readonly reason: string | null;
  readonly observedAt: number;
  readonly eventLogSeq: number | null;
}

/**
 * The storage backend. Every method may be asynchronous; the SQLite backend
 * answers synchronously inside a resolved promise.
 */
export interface Storage {
  /** Applies pending migrations; returns the schema version. */
  migrate(): Promise<number>;
  /** Loads the state the mutator keeps in memory. */
  load(): Promise<StoredState>;
  /** Applies a batch in one durable transaction; returns event seqs by local id. */
  commit(ops: readonly WriteOp[]): Promise<ReadonlyMap<number, number>>;
  /** event_log rows of one rollout, ascending, after `afterSeq`. */
  rolloutEvents(
    rolloutId: string,
    options: { readonly afterSeq: number; readonly limit: number },
  ): Promise<EventRow[]>;
  /** The whole event log (replay checks, audits), ascending. */
  allEvents(options?: { readonly streams?: readonly EventStream[] }): Promise<EventRow[]>;
  /** Pending notification_outbox rows, soonest due first. */
  pendingNotifications(options: { readonly limit: number }): Promise<OutboxRow[]>;
  /** probe_failures rows of one rollout. */
  probeFailures(rolloutId: string): Promise<ProbeFailureRow[]>;
  /** `PRAGMA integrity_check` (or the backend's equivalent): `"ok"` when sound. */
  integrityCheck(): Promise<string>;
  /** Closes the backend. */
  close(): Promise<void>;
}
