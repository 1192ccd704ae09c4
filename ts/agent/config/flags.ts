// The agent's flag table: every flag with its type, default, unit,
// `NIXFLEET_AGENT_*` variable, description and the services.nixfleet-agent
// option that renders it. `main.ts` registers them with commander
// (`--help`), `config.ts` parses what they collect and takes its timing
// defaults from here, scripts/gen-flag-docs.ts writes docs/agent.md's
// reference from them. Owns names, units and defaults, never validation.
import { envOf, type FlagSpec, type FlagType } from '../../flags/spec.ts';
import type { AgentTimings } from './timings.ts';

export type { FlagSpec } from '../../flags/spec.ts';

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
  extra: Extra = {},
): FlagSpec => ({ flag, key, type, env: envOf('NIXFLEET_AGENT', key), description, ...extra });

/** A timing flag: a duration whose plain number is seconds, and the timing it sets. */
export interface TimingFlag extends FlagSpec {
  readonly timing: keyof AgentTimings;
}

const timing = (
  name: string,
  key: string,
  t: keyof AgentTimings,
  description: string,
  extra: Extra & { readonly default: string },
): TimingFlag => ({
  ...spec('duration', `${name} <duration>`, key, description, extra),
  unit: 's',
  timing: t,
});

/** Every flag other than the timings, in the order of `--help` and the docs. */
export const SETTING_FLAGS: readonly FlagSpec[] = [
  spec(
    'list',
    '--control-plane-url <url...>',
    'controlPlaneUrl',
    'control plane origin(s) (https://…), in the order tried; repeat the flag or separate with commas: the agent moves to the next URL when one does not answer, answers 5xx or CP_ERR_NOT_LEADER',
    { defaultText: 'required', nixos: 'controlPlane.urls' },
  ),
  spec(
    'string',
    '--machine-id <hostname>',
    'machineId',
    'this host’s name; must equal the client certificate CN',
    { defaultText: 'required', nixos: 'machineId' },
  ),
  spec(
    'path',
    '--trust-file <path>',
    'trustFile',
    'trust.json (ciReleaseKey, cacheKeys, orgRootKey)',
    {
      default: '/etc/nixfleet/agent/trust.json',
      nixos: 'trustFile',
    },
  ),
  spec('path', '--ca-cert <path>', 'caCert', 'CA certificate of the control plane', {
    defaultText: 'system CAs',
    nixos: 'tls.caCert',
  }),
  spec('path', '--client-cert <path>', 'clientCert', 'client certificate (written by enrollment)', {
    defaultText: '<state-dir>/tls/client.crt',
    nixos: 'tls.clientCert',
  }),
  spec('path', '--client-key <path>', 'clientKey', 'client key', {
    defaultText: 'the SSH host key',
    nixos: 'tls.clientKey',
  }),
  spec(
    'path',
    '--bootstrap-token-file <path>',
    'bootstrapTokenFile',
    'bootstrap token used to enroll when no certificate exists',
    { nixos: 'bootstrapTokenFile' },
  ),
  spec('path', '--state-dir <path>', 'stateDir', 'state directory', {
    default: '/var/lib/nixfleet-agent',
    nixos: 'stateDir',
  }),
  spec('path', '--ssh-host-key-file <path>', 'sshHostKeyFile', 'SSH host ed25519 key', {
    default: '/etc/ssh/ssh_host_ed25519_key',
    nixos: 'sshHostKeyFile',
  }),
  // The module renders it from healthChecks and fleetHealthChecks, always
  // the same file: no one option sets it.
  spec('path', '--health-checks-config <path>', 'healthChecksConfig', 'health-checks.json', {
    defaultText: 'depends on the backend',
  }),
  spec('enum', '--activation-backend <name>', 'activationBackend', 'nixos | sandbox', {
    default: 'nixos',
    nixos: 'activationBackend',
  }),
  spec(
    'list',
    '--cache-url <url...>',
    'cacheUrl',
    'binary cache(s) to fetch closures from, in order (comma or space separated)',
    { nixos: 'cacheUrls' },
  ),
  spec('path', '--sandbox-root <path>', 'sandboxRoot', 'sandbox backend root', {
    defaultText: '<state-dir>/sandbox',
  }),
  spec('string', '--store <uri>', 'store', 'Nix store closures are copied into', {
    defaultText: 'the local store (sandbox: local?root=<sandbox-root>)',
  }),
  spec('enum', '--log-level <level>', 'logLevel', 'pino level', {
    default: 'info',
    nixos: 'logLevel',
  }),
];

/** The timing flags; a plain number is seconds. */
export const TIMING_FLAGS: readonly TimingFlag[] = [
  timing(
    '--poll-interval',
    'pollInterval',
    'pollIntervalMs',
    'pause between dispatch polls when the CP does not hold',
    { default: '60s', nixos: 'pollInterval' },
  ),
  timing(
    '--long-poll-timeout',
    'longPollTimeout',
    'longPollTimeoutMs',
    'dispatch long-poll timeout',
    {
      default: '60s',
    },
  ),
  timing('--heartbeat-interval', 'heartbeatInterval', 'heartbeatIntervalMs', 'heartbeat cadence', {
    default: '60s',
  }),
  timing('--poll-budget', 'pollBudget', 'pollBudgetMs', 'POLL_BUDGET for the current-system poll', {
    default: '300s',
  }),
  timing(
    '--activation-poll-interval',
    'activationPollInterval',
    'activationPollMs',
    'current-system poll interval',
    { default: '2s' },
  ),
  timing(
    '--clock-skew-slack',
    'clockSkewSlack',
    'clockSkewSlackMs',
    'CLOCK_SKEW_SLACK (may be 0)',
    { default: '60s' },
  ),
  timing(
    '--quarantine-window',
    'quarantineWindow',
    'quarantineWindowMs',
    'local closure quarantine',
    {
      default: '24h',
    },
  ),
  timing(
    '--quarantine-repost-throttle',
    'quarantineRepostThrottle',
    'quarantineRepostThrottleMs',
    'ClosureQuarantined throttle',
    { default: '1h' },
  ),
  timing(
    '--sustained-failure-threshold',
    'sustainedFailureThreshold',
    'sustainedFailureMs',
    'enforce-probe sustained failure',
    { default: '60s' },
  ),
  timing(
    '--offline-grace',
    'offlineGrace',
    'offlineGraceMs',
    'warn when the CP is unreachable this long',
    {
      default: '7d',
    },
  ),
  timing('--tick-interval', 'tickInterval', 'tickMs', 'reducer timer tick', { default: '1s' }),
  timing('--backoff-base', 'backoffBase', 'backoffBaseMs', 'first retry delay', { default: '1s' }),
  timing('--backoff-max', 'backoffMax', 'backoffMaxMs', 'retry delay cap', { default: '300s' }),
  timing(
    '--reconnect-spread',
    'reconnectSpread',
    'reconnectSpreadMs',
    'after a lost connection, reconnect at a random point within this window, at most one --heartbeat-interval (0: at once)',
    { default: '10s' },
  ),
  timing('--request-timeout', 'requestTimeout', 'requestTimeoutMs', 'per-request timeout', {
    default: '30s',
  }),
  timing('--realise-timeout', 'realiseTimeout', 'realiseTimeoutMs', 'nix copy timeout', {
    default: '30m',
  }),
];

/** Every flag of the agent, in the order of `--help` and the docs. */
export const FLAGS: readonly FlagSpec[] = [...SETTING_FLAGS, ...TIMING_FLAGS];
