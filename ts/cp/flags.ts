// The control plane's flag table: every flag of `serve` and `tick`, its
// `NIXFLEET_CP_*` environment mirror, description and default. `main.ts`
// registers them with commander; `config.ts` parses what they collect. Owns
// names and defaults, never validation.
import { DEFAULT_EDGE_LIMITS as D } from './server/edge-protocol.ts';

/** One flag: name, env mirror, description and default (as a string, like argv). */
export interface FlagSpec {
  readonly flag: string;
  readonly key: string;
  readonly env: string;
  readonly description: string;
  readonly default?: string;
  readonly boolean?: boolean;
}

const f = (
  flag: string,
  key: string,
  description: string,
  extra: { default?: string; boolean?: boolean } = {},
): FlagSpec => ({
  flag,
  key,
  env: `NIXFLEET_CP_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`,
  description,
  ...extra,
});

/** Every flag of `serve` and `tick`; `main.ts` registers them with commander. */
export const FLAGS: readonly FlagSpec[] = [
  f('--listen <addr>', 'listen', 'host:port to bind (loopback or a specific address)', {
    default: '127.0.0.1:8443',
  }),
  f('--tls-cert <file>', 'tlsCert', 'server certificate (PEM)'),
  f('--tls-key <file>', 'tlsKey', 'server private key (PEM)'),
  f(
    '--client-ca <file>',
    'clientCa',
    'CA bundle verifying client certificates (default: --fleet-ca-cert)',
  ),
  f('--fleet-ca-cert <file>', 'fleetCaCert', 'fleet CA certificate that issues agent certificates'),
  f('--fleet-ca-key <file>', 'fleetCaKey', 'fleet CA private key (PKCS#8 PEM)'),
  f('--trust-file <file>', 'trustFile', 'trust.json (CI release key, org root key)'),
  f('--db <file>', 'db', 'SQLite database', { default: '/var/lib/nixfleet-cp/state.db' }),
  f(
    '--database-url-file <file>',
    'databaseUrlFile',
    'file holding a postgres:// URL: store state in PostgreSQL instead of --db (whose directory still holds the issuance log and release cache)',
  ),
  f(
    '--issuance-log <file>',
    'issuanceLog',
    'append-only certificate issuance log (default: next to --db)',
  ),
  f('--release-dir <dir>', 'releaseDir', 'directory of signed release artifacts'),
  f('--artifact-url <url>', 'artifactUrl', 'base URL of signed release artifacts'),
  f('--artifact-token-file <file>', 'artifactTokenFile', 'bearer token for --artifact-url'),
  f('--body-limit <bytes>', 'bodyLimit', 'maximum request body', { default: '262144' }),
  f(
    '--cert-validity-days <duration>',
    'certValidityDays',
    'lifetime of issued client certificates',
    {
      default: '30',
    },
  ),
  f(
    '--artifact-freshness-minutes <duration>',
    'artifactFreshnessMinutes',
    'max age of adopted artifacts',
    {
      default: '10080',
    },
  ),
  f('--reconcile-interval-secs <duration>', 'reconcileIntervalSecs', 'periodic reconcile tick', {
    default: '30',
  }),
  f(
    '--reconcile-debounce-ms <duration>',
    'reconcileDebounceMs',
    'events within this collapse into one tick',
    {
      default: '500',
    },
  ),
  f(
    '--heartbeat-interval-secs <duration>',
    'heartbeatIntervalSecs',
    'expected agent heartbeat interval',
    {
      default: '60',
    },
  ),
  f(
    '--missed-heartbeats-offline <n>',
    'missedHeartbeatsOffline',
    'a host is offline (unreachable) after this many heartbeat intervals without one',
    { default: '3' },
  ),
  f('--long-poll-secs <duration>', 'longPollSecs', 'dispatch long-poll hold', { default: '60' }),
  f('--poll-interval-secs <duration>', 'pollIntervalSecs', 'artifact poll interval', {
    default: '60',
  }),
  f(
    '--confirm-window-secs <duration>',
    'confirmWindowSecs',
    'confirm window written into dispatches',
    {
      default: '360',
    },
  ),
  f('--shutdown-deadline-secs <duration>', 'shutdownDeadlineSecs', 'graceful shutdown deadline', {
    default: '10',
  }),
  f('--group-commit-ms <duration>', 'groupCommitMs', 'mutator group-commit window', {
    default: '2',
  }),
  f(
    '--planning-warmup-secs <duration>',
    'planningWarmupSecs',
    'no automatic planning this long after start (default 1.5 heartbeat intervals)',
  ),
  f(
    '--dispatch-rate <n>',
    'dispatchRate',
    'new dispatches per second (thundering-herd protection for the binary cache; 0 = unlimited)',
    { default: '300' },
  ),
  f('--dispatch-chunk <n>', 'dispatchChunk', 'most dispatches one reconcile tick applies', {
    default: '50',
  }),
  f(
    '--dispatch-max-lag-ms <duration>',
    'dispatchMaxLagMs',
    'hold new dispatches while commands wait longer than this in the mutator queue (0 = never)',
    { default: '20' },
  ),
  f(
    '--dispatch-max-ingest-ms <duration>',
    'dispatchMaxIngestMs',
    'hold new dispatches while the 90th percentile of event-ingest latency at the edge exceeds this (0 = never)',
    { default: '25' },
  ),
  f('--commit-thread <on|off>', 'commitThread', 'run SQLite group commits on a dedicated thread', {
    default: 'on',
  }),
  f('--listen-backlog <n>', 'listenBacklog', 'accept queue of the listening socket', {
    default: '4096',
  }),
  f('--json-max-depth <n>', 'jsonMaxDepth', 'deepest JSON nesting of a request body', {
    default: String(D.jsonMaxDepth),
  }),
  f(
    '--tls-handshake-timeout-secs <duration>',
    'tlsHandshakeTimeoutSecs',
    'TLS handshake deadline',
    {
      default: String(D.handshakeTimeoutMs / 1000),
    },
  ),
  f(
    '--preface-timeout-secs <duration>',
    'prefaceTimeoutSecs',
    'deadline from TLS to the first complete request headers (HTTP/2 preface included)',
    { default: String(D.prefaceTimeoutMs / 1000) },
  ),
  f('--idle-timeout-secs <duration>', 'idleTimeoutSecs', 'close connections with no open request', {
    default: String(D.idleTimeoutMs / 1000),
  }),
  f(
    '--body-idle-timeout-secs <duration>',
    'bodyIdleTimeoutSecs',
    'longest pause within a request body',
    {
      default: String(D.bodyIdleTimeoutMs / 1000),
    },
  ),
  f('--body-timeout-secs <duration>', 'bodyTimeoutSecs', 'longest a request body may take', {
    default: String(D.bodyTimeoutMs / 1000),
  }),
  f(
    '--max-conns-per-identity <n>',
    'maxConnsPerIdentity',
    'connections one certificate CN may hold',
    { default: String(D.connsPerIdentity) },
  ),
  f(
    '--max-conns-per-address <n>',
    'maxConnsPerAddress',
    'connections one address may hold without a verified certificate',
    { default: String(D.connsPerAddress) },
  ),
  f(
    '--max-streams-per-identity <n>',
    'maxStreamsPerIdentity',
    'concurrent requests of one identity',
    { default: String(D.streamsPerIdentity) },
  ),
  f('--event-rate <n>', 'eventRate', 'agent events per second per host (sustained)', {
    default: String(D.eventRate.perSec),
  }),
  f('--event-burst <n>', 'eventBurst', 'agent events per host in a burst', {
    default: String(D.eventRate.burst),
  }),
  f('--event-bytes-rate <n>', 'eventBytesRate', 'agent event bytes per second per host', {
    default: String(D.eventBytes.perSec),
  }),
  f('--event-bytes-burst <n>', 'eventBytesBurst', 'agent event bytes per host in a burst', {
    default: String(D.eventBytes.burst),
  }),
  f(
    '--bootstrap-reports-per-hour <n>',
    'bootstrapReportsPerHour',
    'bootstrap reports accepted per claimed host per hour',
    { default: '6' },
  ),
  f('--strict', 'strict', 'refuse to start without client CA, revocations and nonce sources', {
    boolean: true,
  }),
  f('--log-level <level>', 'logLevel', 'pino log level', { default: 'info' }),
];
