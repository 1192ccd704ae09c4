// The notification part of the CP configuration: which sinks are configured
// and the delivery policy, validated from the flag values (notify/flags.ts).
// A sink is configured by its URL flag; its other flags must then be
// complete and well-formed, or the start is refused with CP_ERR_CONFIG
// naming the flag. Secrets stay file paths here (sinks.ts reads them).
import { isSubjectPrefix } from '../../core/index.ts';
import { CpError } from '../errors.ts';

/** The NATS sink. */
export interface NatsSinkConfig {
  readonly url: string;
  readonly subjectPrefix: string;
  readonly credsFile: string | null;
  readonly nkeySeedFile: string | null;
}

/** The Matrix sink. */
export interface MatrixSinkConfig {
  readonly url: string;
  readonly room: string;
  readonly tokenFile: string;
}

/** The webhook sink. */
export interface WebhookSinkConfig {
  readonly url: string;
  readonly secretFile: string;
}

/** Validated notification configuration. */
export interface NotifyConfig {
  readonly nats: NatsSinkConfig | null;
  readonly matrix: MatrixSinkConfig | null;
  readonly webhook: WebhookSinkConfig | null;
  /** A live wave older than this is notified as held (null: never). */
  readonly heldAfterMs: number | null;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The flag readers of config.ts, handed in (they own the flag conventions). */
export interface FlagReaders {
  str(key: string): string | null;
  path(key: string): string | null;
  int(key: string, min: number, max: number): number;
  dur(key: string, min: number, max: number): number;
}

function refuse(flag: string, message: string): never {
  throw new CpError('CP_ERR_CONFIG', `--${flag}: ${message}`, { flag });
}

function url(text: string, flag: string, schemes: readonly string[]): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return refuse(flag, `${text} is not a URL`);
  }
  if (!schemes.includes(u.protocol)) {
    return refuse(flag, `${text}: the scheme must be ${schemes.join(' or ')}`);
  }
  if (u.hostname === '') refuse(flag, `${text} names no host`);
  return text;
}

function required(r: FlagReaders, key: string, flag: string, sink: string): string {
  const v = r.path(key);
  if (v === null) refuse(flag, `required with --${sink}`);
  return v;
}

/**
 * Parses the notification flags.
 *
 * @example const notify = parseNotifyConfig(readers);
 */
export function parseNotifyConfig(r: FlagReaders): NotifyConfig {
  const natsUrl = r.str('notifyNatsUrl');
  let nats: NatsSinkConfig | null = null;
  if (natsUrl !== null) {
    const prefix = r.str('notifyNatsSubjectPrefix') ?? 'nixfleet.events';
    if (!isSubjectPrefix(prefix)) {
      refuse(
        'notify-nats-subject-prefix',
        `${prefix} is not a subject prefix (dot-separated tokens of A-Z a-z 0-9 _ -, no wildcards)`,
      );
    }
    nats = {
      url: url(natsUrl, 'notify-nats-url', ['nats:', 'tls:']),
      subjectPrefix: prefix,
      credsFile: r.path('notifyNatsCredsFile'),
      nkeySeedFile: r.path('notifyNatsNkeySeedFile'),
    };
    if (nats.credsFile !== null && nats.nkeySeedFile !== null) {
      refuse('notify-nats-nkey-seed-file', 'give --notify-nats-creds-file or this, not both');
    }
  }
  const matrixUrl = r.str('notifyMatrixUrl');
  let matrix: MatrixSinkConfig | null = null;
  if (matrixUrl !== null) {
    const room = r.str('notifyMatrixRoom');
    if (room === null) refuse('notify-matrix-room', 'required with --notify-matrix-url');
    if (!/^![^:\s]+:[^\s]+$/.test(room)) {
      refuse(
        'notify-matrix-room',
        `${room} is not a room id (!opaque:server; resolve an alias first)`,
      );
    }
    matrix = {
      url: url(matrixUrl, 'notify-matrix-url', ['https:', 'http:']),
      room,
      tokenFile: required(
        r,
        'notifyMatrixTokenFile',
        'notify-matrix-token-file',
        'notify-matrix-url',
      ),
    };
  }
  const webhookUrl = r.str('notifyWebhookUrl');
  let webhook: WebhookSinkConfig | null = null;
  if (webhookUrl !== null) {
    webhook = {
      url: url(webhookUrl, 'notify-webhook-url', ['https:', 'http:']),
      secretFile: required(
        r,
        'notifyWebhookSecretFile',
        'notify-webhook-secret-file',
        'notify-webhook-url',
      ),
    };
  }
  const held = r.dur('notifyHeldAfterMins', 0, 525_600);
  const baseMs = r.dur('notifyBackoffBaseMs', 1, 3_600_000);
  const maxMs = r.dur('notifyBackoffMaxSecs', 0.001, 86_400);
  if (maxMs < baseMs)
    refuse('notify-backoff-max-secs', 'must not be below --notify-backoff-base-ms');
  return Object.freeze({
    nats,
    matrix,
    webhook,
    heldAfterMs: held === 0 ? null : held,
    maxAttempts: r.int('notifyMaxAttempts', 1, 1_000),
    timeoutMs: r.dur('notifyTimeoutSecs', 0.01, 600),
    backoffBaseMs: baseMs,
    backoffMaxMs: maxMs,
  });
}
