// Configuration of the control plane: the one parse of what the flag table
// (flags.ts, each flag mirrored by a `NIXFLEET_CP_*` environment variable)
// collected into a frozen, typed `CpConfig`. Owns validation of values. Must never read
// secrets: key material arrives as file paths and is read by its consumer.
import { dirname, join, resolve } from 'node:path';
import type { BudgetRule } from '../core/budget.ts';
import { parseDuration, UNIT_MS } from '../core/duration.ts';
import { CpError } from './errors.ts';
import { bodyLimitFor } from './server/body-guard.ts';
import type { EdgeLimits } from './server/edge-protocol.ts';
import { FLAGS, flagOf } from './flags.ts';
import { parseNotifyConfig, type NotifyConfig } from './notify/config.ts';

/** Timing knobs of the runtime, all in milliseconds (tests shrink them). */
export interface CpTimings {
  /** Periodic reconcile tick (default 30 s). */
  readonly reconcileIntervalMs: number;
  /** Debounce after a relevant event: events within it collapse into one tick (500 ms). */
  readonly reconcileDebounceMs: number;
  /** Expected agent heartbeat interval (60 s). */
  readonly heartbeatIntervalMs: number;
  /** A host is offline after this many heartbeat intervals without one (3); a count, not ms. */
  readonly missedHeartbeatsOffline: number;
  /** Default long-poll hold on `/v1/agent/dispatch` (60 s). */
  readonly longPollMs: number;
  /** Artifact poll interval (60 s). */
  readonly pollIntervalMs: number;
  /** Confirm window written into dispatches (360 s). */
  readonly confirmWindowMs: number;
  /** Agent-side sustained-failure threshold mirrored in host policy (60 s). */
  readonly sustainedFailureMs: number;
  /** Clock-skew slack for agent timestamps (60 s). */
  readonly clockSkewSlackMs: number;
  /** Quarantine window (24 h). */
  readonly quarantineWindowMs: number;
  /** Retention of superseded rollouts (7 d). */
  readonly rolloutRetentionMs: number;
  /** Event log rows older than this are pruned (accepted loss, 30 d). */
  readonly eventRetentionMs: number;
  /** Graceful shutdown deadline (10 s). */
  readonly shutdownDeadlineMs: number;
  /** Group-commit window of the mutator (2 ms). */
  readonly groupCommitMs: number;
  /**
   * After start, automatic ticks do not plan until this has elapsed (default
   * 1.5 heartbeat intervals): until every live agent has heartbeated, the
   * offline gate would skip hosts that are merely not heard from yet.
   */
  readonly planningWarmupMs: number;
}

/** The validated configuration; frozen, passed down, never re-read. */
export interface CpConfig {
  readonly host: string;
  readonly port: number;
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  readonly clientCa: string | null;
  readonly fleetCaCert: string | null;
  readonly fleetCaKey: string | null;
  readonly trustFile: string | null;
  readonly dbPath: string;
  /**
   * File holding the `postgres://` URL of the state database (read at
   * start; a path so the password never sits in argv or the environment).
   * Null: SQLite at `dbPath`.
   */
  readonly databaseUrlFile: string | null;
  /**
   * Replicas on PostgreSQL: the URL clients reach this replica at, named in
   * a follower's CP_ERR_NOT_LEADER refusals. Null: not named.
   */
  readonly advertiseUrl: string | null;
  /** Replicas: how often a follower retries the leader lock and the leader checks it (ms). */
  readonly leaderRetryMs: number;
  readonly issuanceLog: string;
  /** TLS session ticket keys file; null: keys of this process only (`:memory:` without the flag). */
  readonly tlsTicketKeys: string | null;
  /** How long a TLS session stays resumable (ms). */
  readonly tlsSessionLifetimeMs: number;
  /**
   * Copy of the last adopted release (`last-release/` next to the database;
   * null for `:memory:`): the fallback of a start whose source release
   * cannot be adopted.
   */
  readonly releaseCacheDir: string | null;
  readonly releaseDir: string | null;
  readonly artifactUrl: string | null;
  readonly artifactTokenFile: string | null;
  readonly bodyLimitBytes: number;
  readonly certValidityMs: number;
  /** Max age of signed artifacts the CP adopts (minutes × 60 000). */
  readonly artifactFreshnessMs: number;
  /** Dispatches handed out per second by automatic ticks (0: no rate limit). */
  readonly dispatchRatePerSec: number;
  /** Most dispatches one tick applies (bounds the mutator command and the wake-up burst). */
  readonly dispatchChunk: number;
  /** Dispatches wait while the mutator's queue wait exceeds this (0: never). */
  readonly dispatchMaxLagMs: number;
  /** Dispatches wait while the edge-measured event-ingest p90 exceeds this (0: never). */
  readonly dispatchMaxIngestMs: number;
  /** Group commits on a dedicated thread (default) or on the event loop. */
  readonly commitThread: boolean;
  /** Listen backlog (accept queue) of the server socket; the kernel caps it at somaxconn. */
  readonly listenBacklog: number;
  readonly strict: boolean;
  readonly logLevel: string;
  readonly timings: CpTimings;
  /** Timeouts, caps and budgets the edge applies to peers (docs/control-plane.md "Limits"). */
  readonly limits: EdgeLimits;
  /** Bootstrap reports per claimed host: refill per second and burst. */
  readonly bootstrapReportRate: BudgetRule;
  /** Notification sinks and delivery policy (docs/control-plane.md "Notifications"). */
  readonly notify: NotifyConfig;
}

export { FLAGS, type FlagSpec } from './flags.ts';

function num(raw: Record<string, unknown>, key: string, min: number, max: number): number {
  const text = String(raw[key]);
  // Number('') and Number(' ') are 0: an empty value must not mean "0 = off".
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--${kebab(key)}: ${text} is not a number in [${min}, ${max}]`,
      {
        flag: kebab(key),
      },
    );
  }
  return n;
}

/** An integer flag: a fraction is refused, not rounded. */
function int(raw: Record<string, unknown>, key: string, min: number, max: number): number {
  const n = num(raw, key, min, max);
  if (!Number.isInteger(n)) {
    throw new CpError('CP_ERR_CONFIG', `--${kebab(key)}: ${String(raw[key])} is not an integer`, {
      flag: kebab(key),
    });
  }
  return n;
}

/**
 * A duration flag (docs/operators.md "Durations"): `90s`, `1m30s`, `1.5m`; a
 * bare number is in the unit the flag's name carries (`--long-poll-secs 30`).
 * Bounds are in that unit too; the unit is the flag table's.
 */
function dur(raw: Record<string, unknown>, key: string, min: number, max: number): number {
  const unit = flagOf(key).unit ?? 's';
  const scale = UNIT_MS[unit];
  const r = parseDuration(String(raw[key]), {
    bareUnit: unit,
    minMs: Math.ceil(min * scale),
    maxMs: max * scale,
  });
  if (!r.ok) {
    throw new CpError('CP_ERR_CONFIG', `--${kebab(key)}: ${r.message}`, {
      flag: kebab(key),
      reason: r.reason,
    });
  }
  return r.ms;
}

function onOff(raw: Record<string, unknown>, key: string): boolean {
  const v = String(raw[key]);
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new CpError('CP_ERR_CONFIG', `--${kebab(key)}: ${v} is not on or off`, {
    flag: kebab(key),
  });
}

function kebab(key: string): string {
  return key.replace(/([A-Z])/g, '-$1').toLowerCase();
}

function str(raw: Record<string, unknown>, key: string): string | null {
  const v = raw[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Splits `host:port` (IPv6 in brackets). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new CpError('CP_ERR_CONFIG', `--listen: ${text} is not host:port`, { flag: 'listen' });
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Parses the raw option values (commander output, env already merged) into a
 * frozen {@link CpConfig}. Throws `CP_ERR_CONFIG` naming the flag.
 *
 * Relative paths are resolved against `options.cwd` (main.ts passes the
 * process's), once: what the CP logs and hands its workers is absolute.
 *
 * @example const config = parseConfig({ listen: '127.0.0.1:0', db: '/tmp/x.db', ... }, { cwd: '/srv' });
 */
export function parseConfig(
  raw: Record<string, unknown>,
  options: { readonly cwd?: string } = {},
): CpConfig {
  const withDefaults: Record<string, unknown> = {};
  for (const spec of FLAGS) withDefaults[spec.key] = raw[spec.key] ?? spec.default;
  const r = withDefaults;
  const { host, port } = parseListen(String(r['listen']));
  const path = (key: string): string | null => {
    const v = str(r, key);
    return v === null || options.cwd === undefined ? v : resolve(options.cwd, v);
  };
  const dbRaw = str(r, 'db') as string;
  const dbPath = dbRaw === ':memory:' ? dbRaw : (path('db') as string);
  const fleetCaCert = path('fleetCaCert');
  const sec = 1000;
  const config: CpConfig = {
    host,
    port,
    tlsCert: path('tlsCert'),
    tlsKey: path('tlsKey'),
    clientCa: path('clientCa') ?? fleetCaCert,
    fleetCaCert,
    fleetCaKey: path('fleetCaKey'),
    trustFile: path('trustFile'),
    dbPath,
    databaseUrlFile: path('databaseUrlFile'),
    advertiseUrl: str(r, 'advertiseUrl'),
    leaderRetryMs: dur(r, 'leaderRetrySecs', 0.05, 60),
    issuanceLog: path('issuanceLog') ?? join(dirname(dbPath), 'issuance.log'),
    tlsTicketKeys:
      path('tlsTicketKeys') ??
      (dbPath === ':memory:' ? null : join(dirname(dbPath), 'tls-ticket-keys')),
    tlsSessionLifetimeMs: dur(r, 'tlsSessionLifetimeSecs', 1, 30 * 86_400),
    releaseCacheDir: dbPath === ':memory:' ? null : join(dirname(dbPath), 'last-release'),
    releaseDir: path('releaseDir'),
    artifactUrl: str(r, 'artifactUrl'),
    artifactTokenFile: path('artifactTokenFile'),
    bodyLimitBytes: num(r, 'bodyLimit', 256, 64 * 1024 * 1024),
    certValidityMs: dur(r, 'certValidityDays', 1 / 24, 3650),
    artifactFreshnessMs: dur(r, 'artifactFreshnessMinutes', 1, 10 * 525_600),
    dispatchRatePerSec: num(r, 'dispatchRate', 0, 1_000_000),
    dispatchChunk: int(r, 'dispatchChunk', 1, 1_000_000),
    dispatchMaxLagMs: dur(r, 'dispatchMaxLagMs', 0, 60_000),
    dispatchMaxIngestMs: dur(r, 'dispatchMaxIngestMs', 0, 60_000),
    commitThread: onOff(r, 'commitThread'),
    listenBacklog: int(r, 'listenBacklog', 1, 65_535),
    strict: r['strict'] === true || r['strict'] === '1' || r['strict'] === 'true',
    logLevel: String(r['logLevel']),
    timings: Object.freeze({
      reconcileIntervalMs: dur(r, 'reconcileIntervalSecs', 0.01, 86_400),
      reconcileDebounceMs: dur(r, 'reconcileDebounceMs', 0, 1_000),
      heartbeatIntervalMs: dur(r, 'heartbeatIntervalSecs', 0.01, 86_400),
      missedHeartbeatsOffline: int(r, 'missedHeartbeatsOffline', 1, 1_000),
      longPollMs: dur(r, 'longPollSecs', 0.01, 3_600),
      pollIntervalMs: dur(r, 'pollIntervalSecs', 0.01, 86_400),
      confirmWindowMs: dur(r, 'confirmWindowSecs', 1, 86_400),
      sustainedFailureMs: 60 * sec,
      clockSkewSlackMs: 60 * sec,
      quarantineWindowMs: 24 * 3_600 * sec,
      rolloutRetentionMs: 7 * 86_400 * sec,
      eventRetentionMs: 30 * 86_400 * sec,
      shutdownDeadlineMs: dur(r, 'shutdownDeadlineSecs', 0, 3_600),
      groupCommitMs: dur(r, 'groupCommitMs', 0, 100),
      planningWarmupMs:
        r['planningWarmupSecs'] === undefined
          ? dur(r, 'heartbeatIntervalSecs', 0.01, 86_400) * 1.5
          : dur(r, 'planningWarmupSecs', 0, 86_400),
    }),
    limits: Object.freeze({
      jsonMaxDepth: int(r, 'jsonMaxDepth', 2, 1_000),
      handshakeTimeoutMs: dur(r, 'tlsHandshakeTimeoutSecs', 0.05, 3_600),
      prefaceTimeoutMs: dur(r, 'prefaceTimeoutSecs', 0.05, 3_600),
      idleTimeoutMs: dur(r, 'idleTimeoutSecs', 0.05, 86_400),
      bodyIdleTimeoutMs: dur(r, 'bodyIdleTimeoutSecs', 0.05, 3_600),
      bodyTimeoutMs: dur(r, 'bodyTimeoutSecs', 0.05, 3_600),
      connsPerIdentity: int(r, 'maxConnsPerIdentity', 1, 1_000_000),
      connsPerAddress: int(r, 'maxConnsPerAddress', 1, 1_000_000),
      streamsPerIdentity: int(r, 'maxStreamsPerIdentity', 1, 1_000_000),
      eventRate: { perSec: num(r, 'eventRate', 0.01, 1e6), burst: num(r, 'eventBurst', 1, 1e9) },
      eventBytes: {
        perSec: num(r, 'eventBytesRate', 1, 1e10),
        burst: num(r, 'eventBytesBurst', 1, 1e10),
      },
    }),
    bootstrapReportRate: Object.freeze({
      perSec: num(r, 'bootstrapReportsPerHour', 0, 1e6) / 3_600,
      burst: Math.max(1, num(r, 'bootstrapReportsPerHour', 0, 1e6)),
    }),
    notify: parseNotifyConfig({
      str: (k) => str(r, k),
      path,
      int: (k, min, max) => int(r, k, min, max),
      dur: (k, min, max) => dur(r, k, min, max),
    }),
  };
  if (config.limits.eventBytes.burst < bodyLimitFor('agent-event', config.bodyLimitBytes)) {
    throw new CpError(
      'CP_ERR_CONFIG',
      '--event-bytes-burst must hold one event of the largest allowed size',
      { flag: 'event-bytes-burst' },
    );
  }
  if (config.advertiseUrl !== null && !/^https:\/\/[^\s]+$/.test(config.advertiseUrl)) {
    throw new CpError('CP_ERR_CONFIG', `--advertise-url must be an https:// URL`, {
      flag: 'advertise-url',
    });
  }
  if (config.artifactUrl !== null && !/^https?:\/\//.test(config.artifactUrl)) {
    throw new CpError('CP_ERR_CONFIG', '--artifact-url must be http(s)', { flag: 'artifact-url' });
  }
  return Object.freeze(config);
}

/**
 * `--strict` (RFC-0003 operational note): the CP refuses to start unless
 * client certificates are verified, and the signed revocations and
 * bootstrap-nonce sidecars have a source. Returns the missing inputs.
 */
export function strictViolations(config: CpConfig): string[] {
  const missing: string[] = [];
  if (config.clientCa === null) missing.push('--client-ca (or --fleet-ca-cert)');
  if (config.trustFile === null) missing.push('--trust-file');
  if (config.releaseDir === null && config.artifactUrl === null) {
    missing.push('--release-dir or --artifact-url (revocations and bootstrap-nonces source)');
  }
  if (config.tlsCert === null || config.tlsKey === null) missing.push('--tls-cert/--tls-key');
  return missing;
}
