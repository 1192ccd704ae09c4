// Layered resolution of the client settings: flag > NIXFLEET_* env > config
// file (design book, "Operator config file"). Runs once per command and
// returns a frozen object that names where each value came from; fails
// closed with a hint when a setting is missing anywhere. Never reads the
// certificate or key files themselves (the client does, when it connects).
import { CliError } from '../errors.ts';
import {
  absolutePath,
  defaultConfigPath,
  readConfigFile,
  TOML_KEYS,
  type ClientSettings,
  type FileConfig,
  type SettingName,
} from './config-file.ts';
import { bySetting } from './flags.ts';
import { flagName } from '../../flags/spec.ts';

/** Where a resolved value came from. */
export type SettingSource = 'flag' | 'env' | 'file';

/** The settings after resolution (STYLE.md rule 6: parsed once, frozen). */
export interface ResolvedClientConfig extends ClientSettings {
  /** Source of each setting. */
  readonly sources: Readonly<Record<SettingName, SettingSource>>;
  /** The config file consulted, or null when none existed. */
  readonly configPath: string | null;
}

/** Environment variable of each setting (the flag table's). */
export const ENV_KEYS: Readonly<Record<SettingName, string>> = bySetting((f) => f.env as string);

/** Flag of each setting. */
export const FLAG_NAMES: Readonly<Record<SettingName, string>> = bySetting(flagName);

const SETTINGS: readonly SettingName[] = ['cpUrl', 'caCert', 'clientCert', 'clientKey'];

/** Inputs of {@link resolveClientConfig}. */
export interface ResolveInput {
  /** Flag values (undefined when the flag was not given). */
  readonly flags: Readonly<Partial<Record<SettingName, string | undefined>>>;
  /** `--config <path>`, if given. */
  readonly configFlag?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base for relative flag and env paths. */
  readonly cwd: string;
}

/**
 * Resolves the four settings. The config file is `--config`, else
 * `NIXFLEET_CONFIG`, else the default path; a file named explicitly must
 * exist, the default one may be absent when flags and env cover everything.
 *
 * @example
 *   const cfg = resolveClientConfig({ flags: { cpUrl: o.cpUrl }, configFlag: o.config, env, cwd });
 *   cfg.sources.cpUrl // 'flag'
 */
export function resolveClientConfig(input: ResolveInput): ResolvedClientConfig {
  const { env } = input;
  const home = env['HOME'];
  const explicit = input.configFlag ?? nonEmpty(env['NIXFLEET_CONFIG']);
  const configPath =
    explicit !== undefined ? absolutePath(explicit, input.cwd, home) : defaultConfigPath(env);
  const file: FileConfig | null = readConfigFile(configPath, { home });
  if (file === null && explicit !== undefined) {
    throw new CliError('CLI_ERR_CONFIG_IO', `config file ${configPath} does not exist`, {
      hint: `create it with \`nixfleet config init --path ${configPath} …\`, or drop ${input.configFlag !== undefined ? '--config' : 'NIXFLEET_CONFIG'}`,
      context: { path: configPath },
    });
  }
  const values: Partial<Record<SettingName, string>> = {};
  const sources: Partial<Record<SettingName, SettingSource>> = {};
  const missing: SettingName[] = [];
  for (const name of SETTINGS) {
    const flag = nonEmpty(input.flags[name]);
    const fromEnv = nonEmpty(env[ENV_KEYS[name]]);
    const fromFile = file?.[name];
    const isPath = name !== 'cpUrl';
    if (flag !== undefined) {
      values[name] = isPath ? absolutePath(flag, input.cwd, home) : flag;
      sources[name] = 'flag';
    } else if (fromEnv !== undefined) {
      values[name] = isPath ? absolutePath(fromEnv, input.cwd, home) : fromEnv;
      sources[name] = 'env';
    } else if (fromFile !== undefined) {
      values[name] = fromFile;
      sources[name] = 'file';
    } else missing.push(name);
  }
  if (missing.length > 0) {
    const where = missing
      .map((n) => `${TOML_KEYS[n]} (${FLAG_NAMES[n]} or ${ENV_KEYS[n]})`)
      .join(', ');
    throw new CliError(
      'CLI_ERR_CONFIG_MISSING',
      `no value for ${where}; ${file === null ? `no config file at ${configPath}` : `not set in ${configPath}`}`,
      {
        hint: 'run `nixfleet config init --cp-url https://cp:8443 --ca-cert ca.pem --client-cert operator.pem --client-key operator.key`',
        context: { missing: missing.map((n) => TOML_KEYS[n]), configPath },
      },
    );
  }
  const cpUrl = checkCpUrl(values.cpUrl as string, sources.cpUrl as SettingSource);
  return Object.freeze({
    cpUrl,
    caCert: values.caCert as string,
    clientCert: values.clientCert as string,
    clientKey: values.clientKey as string,
    sources: Object.freeze(sources as Record<SettingName, SettingSource>),
    configPath: file === null ? null : configPath,
  });
}

/**
 * Checks a control-plane URL: `https://host[:port]` with no path, query or
 * credentials (every request is mTLS to the CP's own routes); returns it
 * without a trailing slash.
 *
 * @example checkCpUrl('https://cp.example.com:8443/', 'flag') // 'https://cp.example.com:8443'
 */
export function checkCpUrl(value: string, source: SettingSource | 'init'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badUrl(value, source, 'not a URL');
  }
  if (url.protocol !== 'https:') throw badUrl(value, source, 'the CP speaks HTTPS (mTLS) only');
  if (url.username !== '' || url.password !== '')
    throw badUrl(value, source, 'no credentials in the URL');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw badUrl(value, source, 'no path, query or fragment');
  }
  return url.origin;
}

function badUrl(value: string, source: SettingSource | 'init', why: string): CliError {
  const from =
    source === 'flag' || source === 'init'
      ? '--cp-url'
      : source === 'env'
        ? ENV_KEYS.cpUrl
        : 'cp_url in the config file';
  return new CliError('CLI_ERR_CONFIG_MALFORMED', `${from}: ${JSON.stringify(value)}: ${why}`, {
    hint: 'expected https://host:port, e.g. https://cp.example.com:8443',
    context: { value },
  });
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
