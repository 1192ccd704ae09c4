// The flag table of the `nixfleet` settings every CP-facing command takes
// (`status`, `rollout …`, `watch`, `whoami`, `host …`): flag, type, unit,
// default, NIXFLEET_* variable, config.toml key, description.
// ts/cli/flags/table.ts addClientFlags registers them (`--help`), resolve.ts and config-file.ts
// take their variables and keys from here, scripts/gen-flag-docs.ts writes
// docs/operators.md "Configuration" from them. The commands' own flags are
// registered by each command module.
import type { FlagSpec } from '../../flags/spec.ts';

/**
 * The four settings, by their camelCase names (config-file.ts's
 * ClientSettings has one field for each; the two must name the same).
 */
export type SettingName = 'cpUrl' | 'caCert' | 'clientCert' | 'clientKey';

/** A client flag and, for the four settings, its name and config.toml key. */
export interface ClientFlag extends FlagSpec {
  readonly setting: SettingName | null;
  /** Key in config.toml (null: the flag has no file mirror). */
  readonly configKey: string | null;
}

const setting = (
  s: SettingName,
  flag: string,
  configKey: string,
  env: string,
  type: FlagSpec['type'],
  description: string,
): ClientFlag => ({ flag, key: s, type, env, description, setting: s, configKey });

/** Every client flag, in the order of `--help` and the docs. */
export const CLIENT_FLAGS: readonly ClientFlag[] = [
  {
    flag: '--config <path>',
    key: 'config',
    type: 'path',
    env: 'NIXFLEET_CONFIG',
    defaultText: '$XDG_CONFIG_HOME/nixfleet/config.toml, else ~/.config/nixfleet/config.toml',
    description: 'config file',
    setting: null,
    configKey: null,
  },
  setting(
    'cpUrl',
    '--cp-url <url>',
    'cp_url',
    'NIXFLEET_CP_URL',
    'url',
    'control plane https://host:port (no path)',
  ),
  setting(
    'caCert',
    '--ca-cert <path>',
    'ca_cert',
    'NIXFLEET_CA_CERT',
    'path',
    'fleet CA certificate (PEM)',
  ),
  setting(
    'clientCert',
    '--client-cert <path>',
    'client_cert',
    'NIXFLEET_CLIENT_CERT',
    'path',
    'operator client certificate (PEM)',
  ),
  setting(
    'clientKey',
    '--client-key <path>',
    'client_key',
    'NIXFLEET_CLIENT_KEY',
    'path',
    'operator client key (PEM)',
  ),
  {
    flag: '--timeout <duration>',
    key: 'timeout',
    type: 'duration',
    unit: 's',
    default: '10s',
    env: null,
    description: 'per-request timeout',
    setting: null,
    configKey: null,
  },
];

/** The four settings' flags, keyed by setting. */
export const SETTING_FLAGS: readonly (ClientFlag & { readonly setting: SettingName })[] =
  CLIENT_FLAGS.filter((f): f is ClientFlag & { setting: SettingName } => f.setting !== null);

/** `{ cpUrl: pick(cpUrl's flag), … }` over the four settings. */
export function bySetting<T>(
  pick: (f: ClientFlag & { readonly setting: SettingName }) => T,
): Readonly<Record<SettingName, T>> {
  return Object.fromEntries(SETTING_FLAGS.map((f) => [f.setting, pick(f)])) as Record<
    SettingName,
    T
  >;
}
