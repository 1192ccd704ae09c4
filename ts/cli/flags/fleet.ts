// Flag tables of the commands that talk to the control plane or edit the
// fleet's host lists: status, watch, rollout …, whoami, config …, host ….
// Each also takes the CP-facing flags of ts/cli/config/flags.ts when its
// `client` is set. Registered by ts/cli/flags/table.ts addFlags.
import { flag, type CommandFlag, type CommandFlags } from './table.ts';

const JSON_FLAG = (what: string): CommandFlag => flag('--json', what);
const NO_COLOR = (what = 'no colour (also: NO_COLOR)'): CommandFlag => flag('--no-color', what);

/** The refresh interval of every command that polls the CP. */
export const INTERVAL = (what: string): CommandFlag =>
  flag('--interval <duration>', what, { default: '2s' });

export const STATUS: CommandFlags = {
  command: 'status',
  client: true,
  flags: [
    JSON_FLAG('print the hosts document with labels, channels and rollouts as JSON'),
    NO_COLOR(),
    flag(
      '--watch',
      'keep the table on screen, refreshed (q quits); without a terminal, print it again whenever it changes',
    ),
    INTERVAL('refresh interval of --watch'),
  ],
};

export const WATCH: CommandFlags = {
  command: 'watch',
  client: true,
  flags: [
    INTERVAL('refresh interval'),
    NO_COLOR(),
    flag('--keep-open', 'keep watching after the rollout ended'),
    flag('--once', 'print one frame and exit'),
    JSON_FLAG('the view as JSON: one document with --once, else a JSON line per change'),
  ],
};

export const ROLLOUT_LIST: CommandFlags = {
  command: 'rollout list',
  client: true,
  flags: [JSON_FLAG('the /v1/rollouts document'), NO_COLOR('no colour')],
};

export const ROLLOUT_HOSTS: CommandFlags = {
  command: 'rollout hosts',
  client: true,
  flags: [JSON_FLAG('as JSON'), NO_COLOR('no colour')],
};

export const ROLLOUT_EVENTS: CommandFlags = {
  command: 'rollout events',
  client: true,
  flags: [
    JSON_FLAG('the events document (JSON lines with --follow)'),
    flag('--follow', 'keep printing new events until the rollout ends (exit 1 if it failed)'),
    flag('--after <seq>', 'only events after this sequence number', { type: 'count' }),
    INTERVAL('poll interval of --follow'),
  ],
};

export const ROLLOUT_TRACE: CommandFlags = {
  command: 'rollout trace',
  client: true,
  flags: [JSON_FLAG('the trace document')],
};

/** The operator actions on a rollout; each takes the same flags. */
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'abort', 'approve', 'clear'] as const;

/** The table of `rollout <action>`. */
export function rolloutAction(action: (typeof ROLLOUT_ACTIONS)[number]): CommandFlags {
  return {
    command: `rollout ${action}`,
    client: true,
    flags: [
      flag('--channel <name>', 'act on the rollout holding this channel'),
      // Required by the command (CLI_ERR_USAGE naming the limit), not by commander.
      flag('--reason <text>', 'why (required; kept in the event log, shown in every view)'),
      JSON_FLAG('the answer document (api-rollout-action)'),
    ],
  };
}

export const WHOAMI: CommandFlags = {
  command: 'whoami',
  client: true,
  flags: [JSON_FLAG('the /v1/whoami document')],
};

export const CONFIG_INIT: CommandFlags = {
  command: 'config init',
  client: false,
  flags: [
    flag('--cp-url <url>', 'control plane https://host:port', { required: true }),
    flag('--ca-cert <path>', 'fleet CA certificate (PEM)', { required: true }),
    flag('--client-cert <path>', 'operator client certificate (PEM)', { required: true }),
    flag('--client-key <path>', 'operator client key (PEM)', { required: true }),
    flag('--path <path>', 'where to write', {
      env: 'NIXFLEET_CONFIG',
      defaultText: '~/.config/nixfleet/config.toml',
    }),
    flag('--force', 'overwrite an existing file'),
  ],
};

export const CONFIG_SHOW: CommandFlags = {
  command: 'config show',
  client: true,
  flags: [JSON_FLAG('as JSON')],
};

const ORG_ROOT_KEY = flag('--org-root-key <file>', 'org root private key', {
  env: 'NIXFLEET_OPERATOR_ORG_ROOT_KEY',
});
const MINTED_BY = flag('--minted-by <name>', 'recorded in the bootstrapNonces entry', {
  defaultText: '$USER',
});

/** `--validity` of a bootstrap token (`mint-token`, `host add`); at most 30d, checked by the command. */
export const TOKEN_VALIDITY = flag('--validity <duration>', 'token lifetime (at most 30d)', {
  default: '24h',
});

export const HOST_ADD: CommandFlags = {
  command: 'host add',
  client: false,
  flags: [
    flag('--tags <a,b>', 'tags of the host, comma-separated', { type: 'list' }),
    flag('--channel <name>', "the host's channel", { defaultText: "the fleet's only channel" }),
    flag(
      '--fleet-resolved <file>',
      "the last release's fleet.resolved.json: host names in use, channels",
    ),
    flag('--write <file>', 'append the entry to the JSON list fleet.nix reads as hosts'),
    flag('--out <dir>', "where the host's key and token are written", {
      defaultText: 'hosts/<host>',
    }),
    flag(
      '--pubkey-file <file>',
      'bind the token to the key the host already has (no key generated)',
    ),
    ORG_ROOT_KEY,
    flag('--trust <file>', 'trust.json: the minted token is checked with the CP verifier'),
    flag('--nonces-file <file>', 'append the bootstrapNonces entry to this JSON list'),
    TOKEN_VALIDITY,
    MINTED_BY,
  ],
};

export const HOST_REVOKE: CommandFlags = {
  command: 'host revoke',
  client: false,
  flags: [
    flag('--reason <text>', 'why (recorded in the signed revocations.json)'),
    flag('--revoked-by <name>', 'who', { defaultText: '$USER' }),
    flag('--not-before <timestamp>', 'certificates issued before this are refused', {
      defaultText: 'now',
    }),
    flag('--file <file>', 'the JSON list fleet.nix reads as `revocations` (created if missing)'),
  ],
};

export const MINT_TOKEN: CommandFlags = {
  command: 'mint-token',
  client: false,
  flags: [
    flag('--hostname <name>', 'host the token enrols', { required: true }),
    flag('--csr-pubkey-fingerprint <b64>', 'base64 SHA-256 of the host ed25519 key'),
    flag('--pubkey-file <file>', 'the host key line (ssh_host_ed25519_key.pub)'),
    ORG_ROOT_KEY,
    TOKEN_VALIDITY,
    flag(
      '--fleet-resolved <file>',
      "take (or cross-check) the host key from fleet.resolved's hosts.<name>.pubkey",
    ),
    flag(
      '--trust <file>',
      'trust.json: refuse a key that is not an active orgRootKey, verify the minted token',
    ),
    MINTED_BY,
    flag(
      '--nonces-file <file>',
      'append the bootstrapNonces entry to this JSON list (fleet.nix reads it with builtins.fromJSON)',
    ),
  ],
};

/** Every table of this group, in the order of the docs. */
export const FLEET_TABLES: readonly CommandFlags[] = [
  STATUS,
  WATCH,
  ROLLOUT_LIST,
  ROLLOUT_HOSTS,
  ROLLOUT_EVENTS,
  ROLLOUT_TRACE,
  ...ROLLOUT_ACTIONS.map(rolloutAction),
  WHOAMI,
  CONFIG_INIT,
  CONFIG_SHOW,
  HOST_ADD,
  HOST_REVOKE,
  MINT_TOKEN,
];
