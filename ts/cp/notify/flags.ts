// The notification flags of `serve` (docs/control-plane.md "Notifications"):
// one group per sink kind, secrets only as file paths, plus the delivery
// policy. Spread into the CP's flag table (flags.ts); parsed by
// notify/config.ts.
import { envOf, type FlagSpec, type FlagType } from '../../flags/spec.ts';
import type { DurationUnit } from '../../core/duration.ts';

const f = (
  type: FlagType,
  flag: string,
  key: string,
  description: string,
  extra: { default?: string; nixos?: string; unit?: DurationUnit } = {},
): FlagSpec => ({ flag, key, type, env: envOf('NIXFLEET_CP', key), description, ...extra });

/** The notification flags. */
export const NOTIFY_FLAGS: readonly FlagSpec[] = [
  f(
    'url',
    '--notify-nats-url <url>',
    'notifyNatsUrl',
    'NATS server to publish notifications to (nats:// or tls://)',
    {
      nixos: 'notifications.nats.url',
    },
  ),
  f(
    'string',
    '--notify-nats-subject-prefix <subject>',
    'notifyNatsSubjectPrefix',
    'subject prefix: notifications go to <prefix>.<channel>.<kind>',
    { default: 'nixfleet.events', nixos: 'notifications.nats.subjectPrefix' },
  ),
  f(
    'path',
    '--notify-nats-creds-file <file>',
    'notifyNatsCredsFile',
    'NATS credentials file (JWT and NKey seed)',
    {
      nixos: 'notifications.nats.credsFile',
    },
  ),
  f(
    'path',
    '--notify-nats-nkey-seed-file <file>',
    'notifyNatsNkeySeedFile',
    'NATS NKey seed file (NKey auth)',
    {
      nixos: 'notifications.nats.nkeySeedFile',
    },
  ),
  f(
    'url',
    '--notify-matrix-url <url>',
    'notifyMatrixUrl',
    'Matrix homeserver base URL (https://…)',
    {
      nixos: 'notifications.matrix.homeserverUrl',
    },
  ),
  f(
    'string',
    '--notify-matrix-room <room-id>',
    'notifyMatrixRoom',
    'Matrix room id (!opaque:server) to post to',
    {
      nixos: 'notifications.matrix.roomId',
    },
  ),
  f(
    'path',
    '--notify-matrix-token-file <file>',
    'notifyMatrixTokenFile',
    'file holding the Matrix access token',
    {
      nixos: 'notifications.matrix.accessTokenFile',
    },
  ),
  f(
    'url',
    '--notify-webhook-url <url>',
    'notifyWebhookUrl',
    'URL notifications are POSTed to as signed JSON',
    {
      nixos: 'notifications.webhook.url',
    },
  ),
  f(
    'path',
    '--notify-webhook-secret-file <file>',
    'notifyWebhookSecretFile',
    'file holding the webhook HMAC-SHA256 secret',
    { nixos: 'notifications.webhook.secretFile' },
  ),
  f(
    'duration',
    '--notify-held-after-mins <duration>',
    'notifyHeldAfterMins',
    'notify when a rollout wave is not promoted for this long (0 = never)',
    { default: '30', unit: 'm', nixos: 'notifications.heldAfterMinutes' },
  ),
  f(
    'count',
    '--notify-max-attempts <n>',
    'notifyMaxAttempts',
    'delivery attempts per sink before giving up',
    {
      default: '12',
      nixos: 'notifications.maxAttempts',
    },
  ),
  f(
    'duration',
    '--notify-timeout-secs <duration>',
    'notifyTimeoutSecs',
    'deadline of one delivery attempt',
    {
      default: '10',
      unit: 's',
    },
  ),
  f(
    'duration',
    '--notify-backoff-base-ms <duration>',
    'notifyBackoffBaseMs',
    'first retry delay; doubles per attempt, with jitter',
    { default: '1000', unit: 'ms' },
  ),
  f(
    'duration',
    '--notify-backoff-max-secs <duration>',
    'notifyBackoffMaxSecs',
    'longest retry delay',
    {
      default: '300',
      unit: 's',
    },
  ),
];
