// The control plane's flag table: every flag of `serve` and `tick` with its
// type, unit, default, `NIXFLEET_CP_*` variable, description and the
// services.nixfleet-control-plane option that renders it. `main.ts`
// registers them with commander (`--help`), `config.ts` parses what they
// collect, scripts/gen-flag-docs.ts writes docs/control-plane.md's reference
// from them. Owns names, units and defaults, never validation.
import type { DurationUnit } from '../core/duration.ts';
import { envOf, type FlagSpec, type FlagType } from '../flags/spec.ts';
import { NOTIFY_FLAGS } from './notify/flags.ts';
import { DEFAULT_EDGE_LIMITS as D } from './server/edge-protocol.ts';

export type { FlagSpec } from '../flags/spec.ts';

interface Extra {
  readonly default?: string;
  readonly defaultText?: string;
  readonly nixos?: string;
}

const spec = (
  type: FlagType,
  flag: string,
  key: string,
  description: string,
  extra: Extra & { unit?: DurationUnit } = {},
): FlagSpec => ({ flag, key, type, env: envOf('NIXFLEET_CP', key), description, ...extra });
const str = (t: FlagType, flag: string, key: string, description: string, extra?: Extra) =>
  spec(t, flag, key, description, extra);
// A duration whose plain number is in `unit`, the unit the flag's name carries.
const dur = (
  unit: DurationUnit,
  flag: string,
  key: string,
  description: string,
  extra: Extra = {},
): FlagSpec => spec('duration', `${flag} <duration>`, key, description, { unit, ...extra });

/** Every flag of `serve` and `tick`, in the order of `--help` and the docs. */
export const FLAGS: readonly FlagSpec[] = [
  str('string', '--listen <addr>', 'listen', 'host:port to bind (loopback or a specific address)', {
    default: '127.0.0.1:8443',
    nixos: 'listen',
  }),
  str('path', '--tls-cert <file>', 'tlsCert', 'server certificate (PEM)', { nixos: 'tls.cert' }),
  str('path', '--tls-key <file>', 'tlsKey', 'server private key (PEM)', { nixos: 'tls.key' }),
  str(
    'path',
    '--tls-ticket-keys <file>',
    'tlsTicketKeys',
    'TLS session ticket keys (48 random bytes, a secret; created 0600 when missing): a client reconnecting after a restart resumes its TLS session instead of a full handshake',
    { defaultText: 'tls-ticket-keys next to --db (per-process keys for :memory:)' },
  ),
  dur(
    's',
    '--tls-session-lifetime-secs',
    'tlsSessionLifetimeSecs',
    'how long a TLS session can be resumed after its full handshake',
    { default: '604800' },
  ),
  str('path', '--client-ca <file>', 'clientCa', 'CA bundle verifying client certificates', {
    defaultText: '--fleet-ca-cert',
    nixos: 'tls.clientCa',
  }),
  str(
    'path',
    '--fleet-ca-cert <file>',
    'fleetCaCert',
    'fleet CA certificate that issues agent certificates',
    {
      nixos: 'fleetCaCert',
    },
  ),
  str('path', '--fleet-ca-key <file>', 'fleetCaKey', 'fleet CA private key (PKCS#8 PEM)', {
    nixos: 'fleetCaKey',
  }),
  str('path', '--trust-file <file>', 'trustFile', 'trust.json (CI release key, org root key)', {
    nixos: 'trustFile',
  }),
  str('path', '--db <file>', 'db', 'SQLite database', {
    default: '/var/lib/nixfleet-cp/state.db',
    nixos: 'dbPath',
  }),
  str(
    'path',
    '--database-url-file <file>',
    'databaseUrlFile',
    'file holding a postgres:// URL: store state in PostgreSQL instead of --db (whose directory still holds the issuance log and release cache)',
    { nixos: 'databaseUrlFile' },
  ),
  str(
    'url',
    '--advertise-url <url>',
    'advertiseUrl',
    "with --database-url-file: the https:// URL clients reach this replica at; followers forward requests to the leader's, and name it in their CP_ERR_NOT_LEADER refusals",
    { nixos: 'advertiseUrl' },
  ),
  dur(
    's',
    '--leader-retry-secs',
    'leaderRetrySecs',
    'with --database-url-file: how often a follower tries to take the leadership and the leader checks it holds it (a dead leader is replaced within about twice this)',
    { default: '2', nixos: 'leaderRetrySecs' },
  ),
  str('path', '--issuance-log <file>', 'issuanceLog', 'append-only certificate issuance log', {
    defaultText: 'issuance.log next to --db',
    nixos: 'auditLogPath',
  }),
  str('path', '--release-dir <dir>', 'releaseDir', 'directory of signed release artifacts', {
    nixos: 'releaseDir',
  }),
  str('url', '--artifact-url <url>', 'artifactUrl', 'base URL of signed release artifacts', {
    nixos: 'releaseSource.url',
  }),
  str(
    'path',
    '--artifact-token-file <file>',
    'artifactTokenFile',
    'bearer token for --artifact-url',
    {
      nixos: 'releaseSource.tokenFile',
    },
  ),
  str('number', '--body-limit <bytes>', 'bodyLimit', 'maximum request body in bytes', {
    default: '262144',
  }),
  dur('d', '--cert-validity-days', 'certValidityDays', 'lifetime of issued client certificates', {
    default: '30',
    nixos: 'certValidityDays',
  }),
  dur(
    'm',
    '--artifact-freshness-minutes',
    'artifactFreshnessMinutes',
    'max age of adopted artifacts',
    {
      default: '10080',
      nixos: 'freshnessWindowMinutes',
    },
  ),
  dur('s', '--reconcile-interval-secs', 'reconcileIntervalSecs', 'periodic reconcile tick', {
    default: '30',
  }),
  dur(
    'ms',
    '--reconcile-debounce-ms',
    'reconcileDebounceMs',
    'events within this collapse into one tick',
    {
      default: '500',
    },
  ),
  dur(
    's',
    '--heartbeat-interval-secs',
    'heartbeatIntervalSecs',
    'expected agent heartbeat interval',
    {
      default: '60',
    },
  ),
  str(
    'count',
    '--missed-heartbeats-offline <n>',
    'missedHeartbeatsOffline',
    'a host is offline (unreachable) after this many heartbeat intervals without one',
    { default: '3' },
  ),
  dur('s', '--long-poll-secs', 'longPollSecs', 'dispatch long-poll hold', { default: '60' }),
  // 10 s: a new host's release is adopted within 10 s (docs/operators.md,
  // "Adding a host"); a poll whose bytes did not change verifies nothing new.
  dur('s', '--poll-interval-secs', 'pollIntervalSecs', 'artifact poll interval', { default: '10' }),
  dur('s', '--confirm-window-secs', 'confirmWindowSecs', 'confirm window written into dispatches', {
    default: '360',
    nixos: 'confirmDeadlineSecs',
  }),
  dur('s', '--shutdown-deadline-secs', 'shutdownDeadlineSecs', 'graceful shutdown deadline', {
    default: '10',
  }),
  dur('ms', '--group-commit-ms', 'groupCommitMs', 'mutator group-commit window', { default: '2' }),
  dur(
    's',
    '--planning-warmup-secs',
    'planningWarmupSecs',
    'no automatic planning this long after start',
    { defaultText: '1.5 × --heartbeat-interval-secs' },
  ),
  str(
    'number',
    '--dispatch-rate <n>',
    'dispatchRate',
    'new dispatches per second (thundering-herd protection for the binary cache; 0 = unlimited)',
    { default: '300' },
  ),
  str(
    'count',
    '--dispatch-chunk <n>',
    'dispatchChunk',
    'most dispatches one reconcile tick applies',
    {
      default: '50',
    },
  ),
  dur(
    'ms',
    '--dispatch-max-lag-ms',
    'dispatchMaxLagMs',
    'hold new dispatches while commands wait longer than this in the mutator queue (0 = never)',
    { default: '20' },
  ),
  dur(
    'ms',
    '--dispatch-max-ingest-ms',
    'dispatchMaxIngestMs',
    'hold new dispatches while the 90th percentile of event-ingest latency at the edge exceeds this (0 = never)',
    { default: '25' },
  ),
  str(
    'enum',
    '--commit-thread <on|off>',
    'commitThread',
    'run SQLite group commits on a dedicated thread',
    {
      default: 'on',
    },
  ),
  str(
    'count',
    '--listen-backlog <n>',
    'listenBacklog',
    'accept queue of the listening socket (the kernel caps it at net.core.somaxconn)',
    { default: '16384' },
  ),
  str('count', '--json-max-depth <n>', 'jsonMaxDepth', 'deepest JSON nesting of a request body', {
    default: String(D.jsonMaxDepth),
  }),
  dur('s', '--tls-handshake-timeout-secs', 'tlsHandshakeTimeoutSecs', 'TLS handshake deadline', {
    default: String(D.handshakeTimeoutMs / 1000),
  }),
  dur(
    's',
    '--preface-timeout-secs',
    'prefaceTimeoutSecs',
    'deadline from TLS to the first complete request headers (HTTP/2 preface included)',
    { default: String(D.prefaceTimeoutMs / 1000) },
  ),
  dur('s', '--idle-timeout-secs', 'idleTimeoutSecs', 'close connections with no open request', {
    default: String(D.idleTimeoutMs / 1000),
  }),
  dur(
    's',
    '--body-idle-timeout-secs',
    'bodyIdleTimeoutSecs',
    'longest pause within a request body',
    {
      default: String(D.bodyIdleTimeoutMs / 1000),
    },
  ),
  dur('s', '--body-timeout-secs', 'bodyTimeoutSecs', 'longest a request body may take', {
    default: String(D.bodyTimeoutMs / 1000),
  }),
  str(
    'count',
    '--max-conns-per-identity <n>',
    'maxConnsPerIdentity',
    'connections one certificate CN may hold',
    {
      default: String(D.connsPerIdentity),
    },
  ),
  str(
    'count',
    '--max-conns-per-address <n>',
    'maxConnsPerAddress',
    'connections one address may hold without a verified certificate',
    { default: String(D.connsPerAddress) },
  ),
  str(
    'count',
    '--max-streams-per-identity <n>',
    'maxStreamsPerIdentity',
    'concurrent requests of one identity',
    {
      default: String(D.streamsPerIdentity),
    },
  ),
  str('number', '--event-rate <n>', 'eventRate', 'agent events per second per host (sustained)', {
    default: String(D.eventRate.perSec),
  }),
  str('number', '--event-burst <n>', 'eventBurst', 'agent events per host in a burst', {
    default: String(D.eventRate.burst),
  }),
  str(
    'number',
    '--event-bytes-rate <n>',
    'eventBytesRate',
    'agent event bytes per second per host',
    {
      default: String(D.eventBytes.perSec),
    },
  ),
  str(
    'number',
    '--event-bytes-burst <n>',
    'eventBytesBurst',
    'agent event bytes per host in a burst',
    {
      default: String(D.eventBytes.burst),
    },
  ),
  str(
    'number',
    '--bootstrap-reports-per-hour <n>',
    'bootstrapReportsPerHour',
    'bootstrap reports accepted per claimed host per hour',
    { default: '6' },
  ),
  str(
    'switch',
    '--strict',
    'strict',
    'refuse to start without client CA, revocations and nonce sources',
    {
      nixos: 'strict',
    },
  ),
  str('enum', '--log-level <level>', 'logLevel', 'pino log level', {
    default: 'info',
    nixos: 'logLevel',
  }),
  ...NOTIFY_FLAGS,
];

/** The flag of `key`; throws for a key the table does not hold (a typo in config.ts). */
export function flagOf(key: string): FlagSpec {
  const f = FLAGS.find((s) => s.key === key);
  if (f === undefined) throw new Error(`no control-plane flag ${key}`);
  return f;
}
