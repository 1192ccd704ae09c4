// The notification flags of `serve` (docs/control-plane.md "Notifications"):
// one group per sink kind, secrets only as file paths, plus the delivery
// policy. Spread into the CP's flag table (flags.ts); parsed by
// notify/config.ts.

/** One flag, in the shape of the CP's FlagSpec (flags.ts imports this file). */
interface FlagSpec {
  readonly flag: string;
  readonly key: string;
  readonly env: string;
  readonly description: string;
  readonly default?: string;
}

const f = (
  flag: string,
  key: string,
  description: string,
  extra: { default?: string } = {},
): FlagSpec => ({
  flag,
  key,
  env: `NIXFLEET_CP_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`,
  description,
  ...extra,
});

/** The notification flags. */
export const NOTIFY_FLAGS: readonly FlagSpec[] = [
  f(
    '--notify-nats-url <url>',
    'notifyNatsUrl',
    'NATS server to publish notifications to (nats:// or tls://)',
  ),
  f(
    '--notify-nats-subject-prefix <subject>',
    'notifyNatsSubjectPrefix',
    'subject prefix: notifications go to <prefix>.<channel>.<kind>',
    { default: 'nixfleet.events' },
  ),
  f(
    '--notify-nats-creds-file <file>',
    'notifyNatsCredsFile',
    'NATS credentials file (JWT and NKey seed)',
  ),
  f(
    '--notify-nats-nkey-seed-file <file>',
    'notifyNatsNkeySeedFile',
    'NATS NKey seed file (NKey auth)',
  ),
  f('--notify-matrix-url <url>', 'notifyMatrixUrl', 'Matrix homeserver base URL (https://…)'),
  f(
    '--notify-matrix-room <room-id>',
    'notifyMatrixRoom',
    'Matrix room id (!opaque:server) to post to',
  ),
  f(
    '--notify-matrix-token-file <file>',
    'notifyMatrixTokenFile',
    'file holding the Matrix access token',
  ),
  f(
    '--notify-webhook-url <url>',
    'notifyWebhookUrl',
    'URL notifications are POSTed to as signed JSON',
  ),
  f(
    '--notify-webhook-secret-file <file>',
    'notifyWebhookSecretFile',
    'file holding the webhook HMAC-SHA256 secret',
  ),
  f(
    '--notify-held-after-mins <duration>',
    'notifyHeldAfterMins',
    'notify when a rollout wave is not promoted for this long (0 = never)',
    { default: '30' },
  ),
  f(
    '--notify-max-attempts <n>',
    'notifyMaxAttempts',
    'delivery attempts per sink before giving up',
    {
      default: '12',
    },
  ),
  f('--notify-timeout-secs <duration>', 'notifyTimeoutSecs', 'deadline of one delivery attempt', {
    default: '10',
  }),
  f(
    '--notify-backoff-base-ms <duration>',
    'notifyBackoffBaseMs',
    'first retry delay; doubles per attempt, with jitter',
    { default: '1000' },
  ),
  f('--notify-backoff-max-secs <duration>', 'notifyBackoffMaxSecs', 'longest retry delay', {
    default: '300',
  }),
];
