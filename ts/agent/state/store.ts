// The agent's state directory (layout in docs/agent.md). Owns the typed,
// validated files the runtime persists between restarts: the one durable
// agent snapshot (reducer record, local closure quarantine, deferral, switch
// in flight), the per-channel high-water marks of adopted manifests
// (rollback refusal) and the manifest cache. Every write is atomic. The
// snapshot and the marks fail closed: a file that does not parse or validate
// stops the agent (AGENT_ERR_STATE_UNUSABLE) and stays in place, because a
// fresh value would silently drop quarantine and rollback protection. Must
// never decide what a value means: the runtime does.
//
// The marks stay a file of their own: the dispatch worker raises them when it
// verifies a manifest, before the reducer sees the dispatch, and the snapshot
// has exactly one writer (the reducer loop). The outbox (outbox/, journal/)
// is a directory of its own too: a queue the delivery worker drains entry by
// entry, while the snapshot's `pendingEmits` covers the crash window between
// a commit and the enqueue.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type {
  DeferredComponent,
  HostRolloutState,
  OnHealthFailure,
  LocalQuarantine,
} from '../../core/index.ts';
import type { AgentEvent, Dispatch } from '../../contracts/index.ts';
import { raiseMarks, type HighWaterMarks, type MarkCandidate } from '../../trust/index.ts';
import type { SavedActivation } from '../activation/port.ts';
import { AgentError } from '../errors.ts';
import { writeFileAtomic } from './atomic-file.ts';

/** Schema version of the high-water file. */
export const STATE_SCHEMA_VERSION = 1;

/** Schema version of the agent snapshot; 1 is the layout {@link migrate} reads. */
export const SNAPSHOT_SCHEMA_VERSION = 2;

/** A deferred activation (book §I.7 `last_deferred`): staged, waiting for a boot. */
export interface DeferredActivation {
  readonly closure: string;
  readonly component: DeferredComponent;
  readonly at: number;
}

/** Everything the reducer loop persists, in one atomically replaced file. */
export interface AgentSnapshot {
  readonly schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  /** The host's record for its latest accepted dispatch (`null`: none yet). */
  readonly record: HostRolloutState | null;
  /** The failure policy of `record`'s signed manifest. */
  readonly onHealthFailure: OnHealthFailure | null;
  /** The last dispatch acted upon, as received (boot recovery input). */
  readonly lastDispatch: Dispatch | null;
  /**
   * Events of the last committed step, not yet known to be in the outbox.
   * Re-enqueued (idempotently, by rollout and seq) after a crash.
   */
  readonly pendingEmits: readonly AgentEvent[];
  /** Highest seq emitted per rollout (heartbeat `last_event_seq_by_rollout`). */
  readonly lastSeqByRollout: Readonly<Record<string, number>>;
  /** Last time the CP answered any request (epoch ms), for the offline warning. */
  readonly lastCpContactAt: number | null;
  /**
   * Rollouts whose last refusal was retryable (manifest or closure
   * unavailable), with the `issued_at` of the refused dispatch: that very
   * dispatch is not refused twice, but a re-dispatch is processed again.
   */
  readonly retryableRefusals: Readonly<Record<string, string>>;
  /** Closures whose switch failed or did not verify, skipped for the quarantine window. */
  readonly quarantine: LocalQuarantine;
  /** The closure staged but not switched to because a component inhibited the switch. */
  readonly deferred: DeferredActivation | null;
  /** The detached switch in flight, resumed (not fired again) after a restart. */
  readonly activation: SavedActivation | null;
}

/** The high-water file: newest adopted manifest signedAt per channel. */
export interface HighWaterFile {
  readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
  readonly channels: Readonly<
    Record<string, { readonly signedAt: string; readonly release: string }>
  >;
}

/** A cached signed manifest: exact bytes and raw signature. */
export interface CachedManifest {
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** The empty snapshot of a host that never received a dispatch. */
export function emptySnapshot(): AgentSnapshot {
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    record: null,
    onHealthFailure: null,
    lastDispatch: null,
    pendingEmits: [],
    lastSeqByRollout: {},
    lastCpContactAt: null,
    retryableRefusals: {},
    quarantine: {},
    deferred: null,
    activation: null,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The reducer fields, shared by both snapshot layouts. */
function checkReducerFields(v: Record<string, unknown>): string | null {
  const r = v['record'];
  if (r !== null && (!isObject(r) || typeof r['rolloutId'] !== 'string')) return 'bad record';
  if (r !== null && (typeof r['state'] !== 'string' || typeof r['lastEventSeq'] !== 'number')) {
    return 'bad record';
  }
  if (!Array.isArray(v['pendingEmits'])) return 'bad pendingEmits';
  if (!isObject(v['lastSeqByRollout'])) return 'bad lastSeqByRollout';
  const retryable = v['retryableRefusals'];
  if (retryable !== undefined && !isObject(retryable)) return 'bad retryableRefusals';
  return null;
}

function checkClosures(v: unknown): string | null {
  if (!isObject(v)) return 'bad quarantine';
  for (const e of Object.values(v)) {
    if (!isObject(e) || typeof e['lastFailureAt'] !== 'number') return 'bad quarantine entry';
    if (typeof e['failureCount'] !== 'number') return 'bad quarantine entry';
  }
  return null;
}

function checkDeferredValue(v: unknown): string | null {
  if (v === null) return null;
  if (!isObject(v) || typeof v['closure'] !== 'string' || typeof v['at'] !== 'number') {
    return 'bad deferral';
  }
  return typeof v['component'] === 'string' ? null : 'bad deferral';
}

function checkActivationValue(v: unknown): string | null {
  if (v === null) return null;
  if (!isObject(v) || (v['kind'] !== 'switch' && v['kind'] !== 'rollback')) return 'bad handle';
  const h = v['handle'];
  if (!isObject(h) || typeof h['id'] !== 'string' || typeof h['closure'] !== 'string') {
    return 'bad handle';
  }
  return typeof h['startedAt'] === 'number' ? null : 'bad handle';
}

function checkSnapshot(v: unknown): string | null {
  if (!isObject(v)) return 'not an object';
  if (v['schemaVersion'] !== SNAPSHOT_SCHEMA_VERSION) {
    return `unknown schemaVersion ${JSON.stringify(v['schemaVersion'])}`;
  }
  return (
    checkReducerFields(v) ??
    checkClosures(v['quarantine']) ??
    checkDeferredValue(v['deferred']) ??
    checkActivationValue(v['activation'])
  );
}

function checkLegacySnapshot(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== 1) return 'not a snapshot';
  return checkReducerFields(v);
}

function checkLegacyQuarantine(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== 1) return 'not a quarantine file';
  return checkClosures(v['closures']);
}

function checkLegacyDeferred(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== 1) return 'not a sentinel';
  return checkDeferredValue(v);
}

function checkHighWater(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== STATE_SCHEMA_VERSION) return 'not a high-water file';
  if (!isObject(v['channels'])) return 'bad channels';
  for (const e of Object.values(v['channels'])) {
    if (!isObject(e) || typeof e['signedAt'] !== 'string' || typeof e['release'] !== 'string') {
      return 'bad entry';
    }
  }
  return null;
}

/** Replaces characters that are not safe in a file name (rollout ids carry `@`). */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._@-]/g, '_');
}

/** The snapshot file. */
const SNAPSHOT = 'agent-state.json';
/** Files of the layout before {@link SNAPSHOT_SCHEMA_VERSION} 2, folded into the snapshot. */
const LEGACY = {
  quarantine: 'quarantine.json',
  deferred: 'deferred.json',
  activation: 'activation.json',
};

/** Typed access to the state directory. */
export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.path('manifests'), { recursive: true, mode: 0o700 });
  }

  /** Absolute path of a file inside the state directory. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** A durable file's value, `null` when absent; throws AGENT_ERR_STATE_UNUSABLE. */
  private readDurable(name: string, check: (v: unknown) => string | null): unknown {
    const path = this.path(name);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw unusable(path, (e as Error).message, e);
    }
    const problem = check(value);
    if (problem !== null) throw unusable(path, problem);
    return value;
  }

  /**
   * The persisted snapshot, or the empty one when there is none. A snapshot
   * of the older layout (schemaVersion 1 plus quarantine.json, deferred.json
   * and activation.json) is migrated once: the new snapshot is written, then
   * the old files are removed (leftovers of a migration interrupted between
   * the two are removed on the next start). Throws AGENT_ERR_STATE_UNUSABLE
   * on a file that does not parse or validate.
   */
  loadSnapshot(): AgentSnapshot {
    const raw = this.readDurable(SNAPSHOT, (v) =>
      isObject(v) && v['schemaVersion'] === 1 ? checkLegacySnapshot(v) : checkSnapshot(v),
    ) as Record<string, unknown> | null;
    if (raw !== null && raw['schemaVersion'] === SNAPSHOT_SCHEMA_VERSION) {
      this.removeLegacy();
      // Fields added after a snapshot was written take their empty value.
      return { ...emptySnapshot(), ...(raw as unknown as AgentSnapshot) };
    }
    return this.migrate(raw);
  }

  private migrate(legacy: Record<string, unknown> | null): AgentSnapshot {
    const q = this.readDurable(LEGACY.quarantine, checkLegacyQuarantine) as {
      closures: LocalQuarantine;
    } | null;
    const d = this.readDurable(LEGACY.deferred, checkLegacyDeferred) as DeferredActivation | null;
    const a = this.readDurable(LEGACY.activation, checkActivationValue) as SavedActivation | null;
    if (legacy === null && q === null && d === null && a === null) return emptySnapshot();
    const reducer = legacy === null ? {} : (legacy as unknown as Partial<AgentSnapshot>);
    const snapshot: AgentSnapshot = {
      ...emptySnapshot(),
      ...reducer,
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      quarantine: q?.closures ?? {},
      deferred: d === null ? null : { closure: d.closure, component: d.component, at: d.at },
      activation: a === null ? null : { kind: a.kind, handle: a.handle },
    };
    this.saveSnapshot(snapshot);
    this.removeLegacy();
    return snapshot;
  }

  private removeLegacy(): void {
    for (const name of Object.values(LEGACY)) {
      if (existsSync(this.path(name))) rmSync(this.path(name), { force: true });
    }
  }

  /** Persists the snapshot atomically: the commit point of a reducer step. */
  saveSnapshot(s: AgentSnapshot): void {
    writeFileAtomic(this.path(SNAPSHOT), JSON.stringify(s));
  }

  /**
   * The per-channel marks of adopted manifests (empty when none was adopted);
   * throws AGENT_ERR_STATE_UNUSABLE on a file that does not parse or validate.
   * (`_now` is unused: kept so callers need not change.)
   */
  loadHighWater(_now?: number): HighWaterMarks {
    const f = this.readDurable('high-water.json', checkHighWater) as HighWaterFile | null;
    return new Map(Object.entries(f?.channels ?? {}));
  }

  /** Raises the marks by `candidates` (never lowers one); writes only on change. */
  raiseHighWater(candidates: readonly MarkCandidate[], _now?: number): void {
    const before = this.loadHighWater();
    const next = raiseMarks(before, candidates);
    if (next === before) return;
    const file: HighWaterFile = {
      schemaVersion: STATE_SCHEMA_VERSION,
      channels: Object.fromEntries(next),
    };
    writeFileAtomic(this.path('high-water.json'), JSON.stringify(file));
  }

  /** A cached manifest's bytes, `null` when not cached. Verified by the caller. */
  loadManifest(rolloutId: string): CachedManifest | null {
    try {
      const base = this.path('manifests', safeName(rolloutId));
      return {
        bytes: new Uint8Array(readFileSync(`${base}.json`)),
        signature: new Uint8Array(readFileSync(`${base}.sig`)),
      };
    } catch {
      return null;
    }
  }

  /** Caches a verified manifest (signature first, so a torn pair fails verification). */
  saveManifest(rolloutId: string, m: CachedManifest): void {
    const base = this.path('manifests', safeName(rolloutId));
    writeFileAtomic(`${base}.sig`, m.signature);
    writeFileAtomic(`${base}.json`, m.bytes);
  }

  /** Drops a cached manifest (it failed verification). */
  dropManifest(rolloutId: string): void {
    const base = this.path('manifests', safeName(rolloutId));
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.sig`, { force: true });
  }

  /** Keeps only the `keep` most recently written manifests besides `protect`. */
  pruneManifests(protect: readonly string[], keep = 4): void {
    const dir = this.path('manifests');
    const ids = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
    const keepSet = new Set(protect.map(safeName));
    const extra = ids.filter((id) => !keepSet.has(id)).sort();
    for (const id of extra.slice(0, Math.max(0, extra.length - keep))) {
      rmSync(join(dir, `${id}.json`), { force: true });
      rmSync(join(dir, `${id}.sig`), { force: true });
    }
  }
}

function unusable(path: string, why: string, cause?: unknown): AgentError {
  return new AgentError(
    'AGENT_ERR_STATE_UNUSABLE',
    `state file ${path} is unusable (${why}); the agent does not start on it, because a fresh ` +
      "value would drop this host's quarantine, deferral, switch in flight or rollback marks: " +
      'restore the file from a backup, or move it aside to start without them',
    { cause, context: { path } },
  );
}
