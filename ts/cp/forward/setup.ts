// Turns a PostgreSQL follower into a relay to the leader when it can be
// one: it needs the fleet CA key (to mint its replica certificate). Without
// it a follower refuses with CP_ERR_NOT_LEADER as the only safe answer.
import { hostname } from 'node:os';
import type { CpRuntime } from '../runtime/runtime.ts';
import { replicaCredential } from './credential.ts';
import { LeaderForwarder } from './forwarder.ts';

/** Probe interval floor of a follower's leader check (ms). */
const MIN_PROBE_MS = 500;

/** Starts forwarding on a replica with a CA; a no-op on SQLite. */
export function startForwarding(rt: CpRuntime): void {
  const { config, ca, replica, log } = rt;
  if (replica.leadership === null) return;
  if (ca === null) {
    log.warn(
      'replica without --fleet-ca-cert/--fleet-ca-key: as a follower it cannot forward to the leader and answers CP_ERR_NOT_LEADER',
    );
    return;
  }
  const name = config.advertiseUrl !== null ? new URL(config.advertiseUrl).host : hostname();
  const forwarder = new LeaderForwarder({
    credential: replicaCredential(ca, name, () => rt.clock.now()),
    serverCa: ca.certPem,
    longPollMs: config.timings.longPollMs,
    log,
    metrics: rt.metrics,
  });
  replica.forwardWith(forwarder, config.advertiseUrl, Math.max(MIN_PROBE_MS, config.leaderRetryMs));
}
