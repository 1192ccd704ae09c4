// The agent's state directory (layout in docs/agent.md). Owns the typed,
// validated files the runtime persists between restarts: the reducer
// snapshot, the local closure quarantine, the deferred-activation sentinel,
// the manifest cache and the per-channel high-water marks of adopted
// manifests (rollback refusal). Every write is atomic; every unreadable file is
// moved aside, reported, and replaced by a fresh value. Must never decide
// what a value means: the runtime does.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRolloutState, OnHealthFailure } from '../../core/index.ts';
import type { AgentEvent, Dispatch } from '../../contracts/index.ts';
import { raiseMarks, type HighWaterMarks, type MarkCandidate } from '../../trust/index.ts';
import type { AgentError } from '../errors.ts';
import { readJsonFile, writeFileAtomic } from './atomic-file.ts';

/** Schema version of every state file. */
export const STATE_SCHEMA_VERSION = 1;

/** What the reducer loop persists after every accepted step. */
export interface AgentSnapshot {
  readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
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
}

/** One locally quarantined closure (book §I.7 `last_failed_closure`). */
export interface QuarantineEntry {
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
  readonly failureCount: number;
  /** Last ClosureQuarantined report (throttle), `null`: never reported. */
  readonly lastReportedAt: number | null;
}

/** The local quarantine file. */
export interface QuarantineFile {
  readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
  readonly closures: Readonly<Record<string, QuarantineEntry>>;
}

/** The deferred-activation sentinel (book §I.7 `last_deferred`). */
export interface DeferredSentinel {
  readonly schemaVersion: typeof STATE_SCHEMA_VERSION;
  readonly closure: string;
  readonly component: 'dbus' | 'systemd' | 'kernel' | 'init';
  readonly at: number;
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
    schemaVersion: STATE_SCHEMA_VERSION,
    record: null,
    onHealthFailure: null,
    lastDispatch: null,
    pendingEmits: [],
    lastSeqByRollout: {},
    lastCpContactAt: null,
    retryableRefusals: {},
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkSnapshot(v: unknown): string | null {
  if (!isObject(v)) return 'not an object';
  if (v['schemaVersion'] !== STATE_SCHEMA_VERSION) return 'unknown schemaVersion';
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

function checkQuarantine(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== STATE_SCHEMA_VERSION) return 'not a quarantine file';
  if (!isObject(v['closures'])) return 'bad closures';
  for (const e of Object.values(v['closures'])) {
    if (!isObject(e) || typeof e['lastFailureAt'] !== 'number') return 'bad entry';
    if (typeof e['failureCount'] !== 'number') return 'bad entry';
  }
  return null;
}

function checkDeferred(v: unknown): string | null {
  if (!isObject(v) || v['schemaVersion'] !== STATE_SCHEMA_VERSION) return 'not a sentinel';
  if (typeof v['closure'] !== 'string' || typeof v['at'] !== 'number') return 'bad sentinel';
  return null;
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

/** Typed access to the state directory; `onCorrupt` hears every recovered file. */
export class StateStore {
  readonly dir: string;
  private readonly onCorrupt: (error: AgentError) => void;

  constructor(dir: string, options: { readonly onCorrupt?: (error: AgentError) => void } = {}) {
    this.dir = dir;
    this.onCorrupt = options.onCorrupt ?? (() => undefined);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.path('manifests'), { recursive: true, mode: 0o700 });
  }

  /** Absolute path of a file inside the state directory. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  private read<T>(name: string, check: (v: unknown) => string | null, now: number): T | null {
    const r = readJsonFile<T>(this.path(name), check, now);
    if (r.kind === 'ok') return r.value;
    if (r.kind === 'corrupt') this.onCorrupt(r.error);
    return null;
  }

  /** The persisted snapshot, or a fresh one (missing or corrupt). */
  loadSnapshot(now: number): AgentSnapshot {
    const s = this.read<AgentSnapshot>('agent-state.json', checkSnapshot, now);
    // Fields added after a snapshot was written take their empty value.
    return s === null ? emptySnapshot() : { ...emptySnapshot(), ...s };
  }

  /** Persists the snapshot atomically: the commit point of a reducer step. */
  saveSnapshot(s: AgentSnapshot): void {
    writeFileAtomic(this.path('agent-state.json'), JSON.stringify(s));
  }

  /** The local quarantine (empty when missing or corrupt). */
  loadQuarantine(now: number): QuarantineFile {
    return (
      this.read<QuarantineFile>('quarantine.json', checkQuarantine, now) ?? {
        schemaVersion: STATE_SCHEMA_VERSION,
        closures: {},
      }
    );
  }

  /** Persists the local quarantine. */
  saveQuarantine(q: QuarantineFile): void {
    writeFileAtomic(this.path('quarantine.json'), JSON.stringify(q));
  }

  /** The deferred sentinel, `null` when absent or corrupt. */
  loadDeferred(now: number): DeferredSentinel | null {
    return this.read<DeferredSentinel>('deferred.json', checkDeferred, now);
  }

  /** Sets (or with `null` clears) the deferred sentinel. */
  saveDeferred(s: DeferredSentinel | null): void {
    if (s === null) rmSync(this.path('deferred.json'), { force: true });
    else writeFileAtomic(this.path('deferred.json'), JSON.stringify(s));
  }

  /** The per-channel marks of adopted manifests (empty when missing or corrupt). */
  loadHighWater(now: number): HighWaterMarks {
    const f = this.read<HighWaterFile>('high-water.json', checkHighWater, now);
    return new Map(Object.entries(f?.channels ?? {}));
  }

  /** Raises the marks by `candidates` (never lowers one); writes only on change. */
  raiseHighWater(candidates: readonly MarkCandidate[], now: number): void {
    const before = this.loadHighWater(now);
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
