// Turns a PostgreSQL follower into a relay to the leader. It needs the fleet
// CA certificate and key (to issue its replica certificate): a serving
// replica without them could never relay as a follower, so it does not start.
import { hostname } from 'node:os';
import { CpError } from '../errors.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import { replicaCredential } from './credential.ts';
import { LeaderForwarder } from './forwarder.ts';

/** Probe interval floor of a follower's leader check (ms). */
const MIN_PROBE_MS = 500;

/**
 * Refuses (`CP_ERR_CONFIG`, exit 2) to serve as a PostgreSQL replica
 * without the fleet CA: as a follower it could relay nothing.
 */
export function requireForwarding(rt: CpRuntime): void {
  if (rt.replica.leadership === null || rt.ca !== null) return;
  throw new CpError(
    'CP_ERR_CONFIG',
    'a replica on PostgreSQL (--database-url-file) needs --fleet-ca-cert and --fleet-ca-key: a follower relays requests to the leader with a certificate it issues itself from the fleet CA',
    { flag: 'fleet-ca-key' },
  );
}

/** Starts forwarding on a replica; a no-op on SQLite. */
export function startForwarding(rt: CpRuntime): void {
  const { config, ca, replica, log } = rt;
  if (replica.leadership === null) return;
  requireForwarding(rt);
  if (ca === null) return;
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
