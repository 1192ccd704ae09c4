// Turns a PostgreSQL follower into a relay to the leader. It needs the fleet
// CA certificate and key (to issue its replica certificate): a serving
// replica without them could never relay as a follower, so it does not start.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
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

/**
 * Refuses (`CP_ERR_CONFIG`, exit 2) a replica whose server certificate
 * followers would reject when it leads: not issued by the fleet CA, or not
 * valid for the host of its `--advertise-url` (the name followers connect
 * to). Without an advertised URL no follower relays to it; nothing to check.
 */
export function requireAdvertisedCert(rt: CpRuntime, certPem: Uint8Array | string): void {
  const url = rt.config.advertiseUrl;
  if (rt.replica.leadership === null || rt.ca === null || url === null) return;
  const refuse = (why: string): CpError =>
    new CpError(
      'CP_ERR_CONFIG',
      `--tls-cert ${why}; followers could not relay to this replica when it leads. Issue it from the fleet CA for that host (nixfleet pki server-cert --dns <host>)`,
      { flag: 'tls-cert', advertiseUrl: url },
    );
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw refuse('is not a PEM certificate');
  }
  const ca = new X509Certificate(rt.ca.certPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw refuse('is not issued by the fleet CA (--fleet-ca-cert)');
  }
  const matches = isIP(host) !== 0 ? cert.checkIP(host) : cert.checkHost(host);
  if (matches === undefined) throw refuse(`is not valid for ${host}, the host of --advertise-url`);
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
