// The assembled runtime the routes and workers share: state, mutator,
// dispatch hub, storage, poller, CA and trust. Owns no behaviour beyond
// being the one handle passed around.
import type { TrustConfig } from '../../trust/index.ts';
import type { Clock } from '../clock.ts';
import type { CpConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type { NotificationOutbox } from '../notify/outbox.ts';
import type { FleetCa } from '../pki/ca.ts';
import type { ReplicaRole } from '../replica.ts';
import type { Storage } from '../storage/types.ts';
import type { ArtifactPoller } from '../workers/artifact-poller.ts';
import type { RuntimeDeps } from './deps.ts';
import type { DispatchHub } from './dispatch-hub.ts';
import type { Mutator } from './mutator.ts';
import type { CpState } from './state.ts';

/** Everything a route needs. */
export interface CpRuntime {
  readonly config: CpConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: CpMetrics;
  readonly state: CpState;
  readonly storage: Storage;
  readonly mutator: Mutator;
  readonly deps: RuntimeDeps;
  readonly hub: DispatchHub;
  readonly poller: ArtifactPoller | null;
  /** Notification delivery (null: no sink configured). */
  readonly outbox: NotificationOutbox | null;
  readonly ca: FleetCa | null;
  readonly trust: TrustConfig | null;
  /** Leader or follower among PostgreSQL replicas (always serving on SQLite). */
  readonly replica: ReplicaRole;
  /** CP start time (epoch ms). */
  readonly startedAt: number;
}
