// The committed view of fleet state: what routes, the dispatch hub, metrics
// and (later) other replicas read. The mutator runs up to one batch ahead of
// the disk (pipelined group commit, mutator.ts), and a batch whose commit
// fails is discarded; so nothing outside the mutator may read its working
// state. Every write of the working state (state.ts) is also recorded as a
// change; the mutator seals a batch's changes with it and publishes them here
// only once that batch is durable, in commit order. After a failed commit the
// view is rebuilt from storage with the working state. Readers get read-only
// maps; the view changes only between two synchronous turns of the event
// loop (at a commit), so a handler that reads it without awaiting sees one
// consistent committed state (docs/design/committed-view.md).
import type {
  Decision,
  HeldDispatches,
  HostRolloutState,
  RefusalBook,
  RolloutBook,
} from '../../core/index.ts';
import { EMPTY_BOOK } from '../../core/index.ts';
import type { Dispatch } from '../../contracts/index.ts';
import type { HighWaterMarks } from '../../trust/index.ts';
import type { HostRow, RevocationRow, TokenUseRow } from '../storage/types.ts';
import { EMPTY_SNAPSHOT, type ArtifactSnapshot } from './artifacts.ts';

/** What the last reconcile tick left for the operator's views. */
export interface TickView {
  readonly lastTickAt: number | null;
  readonly lastTickMs: number | null;
  readonly lastDecisions: readonly Decision[];
  /** When `lastDecisions` were planned (busy CPs explain at most every 2 s). */
  readonly lastDecisionsAt: number | null;
  readonly heldDispatches: HeldDispatches | null;
  readonly dispatchRate: number | null;
}

export const EMPTY_TICK: TickView = {
  lastTickAt: null,
  lastTickMs: null,
  lastDecisions: [],
  lastDecisionsAt: null,
  heldDispatches: null,
  dispatchRate: null,
};

/** Fleet state as committed (see the module header). */
export interface CommittedView {
  readonly book: RolloutBook;
  /** Host records by rolloutId, then hostname. */
  readonly hosts: ReadonlyMap<string, ReadonlyMap<string, HostRolloutState>>;
  readonly liveness: ReadonlyMap<string, HostRow>;
  readonly unreachable: ReadonlySet<string>;
  readonly quarantines: ReadonlyMap<
    string,
    ReadonlyMap<string, { readonly quarantinedAt: number }>
  >;
  /** Dispatches long-polls may hand out. */
  readonly outbox: ReadonlyMap<string, Dispatch>;
  readonly revocations: ReadonlyMap<string, RevocationRow>;
  readonly tokens: ReadonlyMap<string, TokenUseRow>;
  readonly highWater: HighWaterMarks;
  readonly artifacts: ArtifactSnapshot;
  readonly tick: TickView;
  /** In memory only and never committed (see CpState.recordEnrollRefusals). */
  readonly enrollRefusals: RefusalBook;
}

/** The writable side of the view, for the state's recorded changes. */
export class CommittedFleet implements CommittedView {
  book: RolloutBook = EMPTY_BOOK;
  readonly hosts = new Map<string, Map<string, HostRolloutState>>();
  readonly liveness = new Map<string, HostRow>();
  readonly unreachable = new Set<string>();
  readonly quarantines = new Map<string, Map<string, { quarantinedAt: number }>>();
  readonly outbox = new Map<string, Dispatch>();
  revocations: ReadonlyMap<string, RevocationRow> = new Map();
  readonly tokens = new Map<string, TokenUseRow>();
  highWater: HighWaterMarks = new Map();
  artifacts: ArtifactSnapshot = EMPTY_SNAPSHOT;
  tick: TickView = EMPTY_TICK;
  enrollRefusals: RefusalBook = new Map();

  putRecord(rec: HostRolloutState): void {
    let m = this.hosts.get(rec.rolloutId);
    if (!m) this.hosts.set(rec.rolloutId, (m = new Map()));
    m.set(rec.hostname, rec);
  }
}

/** One recorded write, replayed on the committed view once its batch is durable. */
export type Change = (view: CommittedFleet) => void;

/** The host's most recent record in the view (latest dispatch). */
export function latestRecordOf(
  view: CommittedView,
  hostname: string,
): HostRolloutState | undefined {
  let best: HostRolloutState | undefined;
  for (const m of view.hosts.values()) {
    const r = m.get(hostname);
    if (r !== undefined && (best === undefined || r.dispatchedAt > best.dispatchedAt)) best = r;
  }
  return best;
}
