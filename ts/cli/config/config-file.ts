// The operator config file, `~/.config/nixfleet/config.toml` (design book,
// "Operator config file"): four optional string settings naming the control
// plane and the operator's mTLS material by path. Owns reading, parsing and
// writing that file; never holds secrets (the key stays in its own file,
// which this module only names).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { CliError } from '../errors.ts';
import { bySetting } from './flags.ts';

/** The settings every CP-facing command needs, by their camelCase names. */
export interface ClientSettings {
  /** `https://host:port` of the control plane. */
  readonly cpUrl: string;
  /** Path of the fleet CA bundle that signed the CP's server certificate. */
  readonly caCert: string;
  /** Path of the operator's client certificate (PEM). */
  readonly clientCert: string;
  /** Path of the operator's client key (PEM). */
  readonly clientKey: string;
}

/** Name of a {@link ClientSettings} field. */
export type SettingName = keyof ClientSettings;

/** The file's contents: every setting optional (missing ones fall through). */
export type FileConfig = Readonly<Partial<ClientSettings>>;

/** TOML key of each setting, as the book writes them (the flag table's). */
export const TOML_KEYS: Readonly<Record<SettingName, string>> = bySetting(
  (f) => f.configKey as string,
);

/** Settings that are file paths (resolved relative to the config file). */
const PATH_SETTINGS: readonly SettingName[] = ['caCert', 'clientCert', 'clientKey'];

/**
 * Where the config file lives when neither `--config` nor `NIXFLEET_CONFIG`
 * says: `$XDG_CONFIG_HOME/nixfleet/config.toml`, else
 * `~/.config/nixfleet/config.toml`.
 *
 * @example defaultConfigPath({ HOME: '/home/op' }) // '/home/op/.config/nixfleet/config.toml'
 */
export function defaultConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env['XDG_CONFIG_HOME'];
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg))
    return join(xdg, 'nixfleet', 'config.toml');
  return join(env['HOME'] ?? '/', '.config', 'nixfleet', 'config.toml');
}

/**
 * Expands a leading `~/` and makes a path absolute against `base`.
 *
 * @example absolutePath('~/op.pem', '/etc', '/home/op') // '/home/op/op.pem'
 */
export function absolutePath(path: string, base: string, home: string | undefined): string {
  if (path === '~' || path.startsWith('~/')) {
    if (home === undefined) return resolve(base, path);
    return join(home, path.slice(1));
  }
  return resolve(base, path);
}

/**
 * Parses config.toml text. Closed: unknown keys and non-string values are
 * refused (a typo must not silently fall through to another layer). Relative
 * paths are resolved against the file's directory.
 *
 * @example parseConfigToml('cp_url = "https://cp:8443"\n', '/home/op/.config/nixfleet/config.toml', { home })
 */
export function parseConfigToml(
  text: string,
  path: string,
  options: { readonly home?: string | undefined } = {},
): FileConfig {
  let table: Record<string, unknown>;
  try {
    table = parse(text) as Record<string, unknown>;
  } catch (e) {
    const where = e instanceof TomlError ? ` (line ${e.line}, column ${e.column})` : '';
    throw new CliError(
      'CLI_ERR_CONFIG_MALFORMED',
      `${path}: not valid TOML${where}: ${firstLine((e as Error).message)}`,
      {
        hint: `fix the file, or rewrite it with \`nixfleet config init --force\``,
        context: { path },
        cause: e,
      },
    );
  }
  const byToml = new Map(Object.entries(TOML_KEYS).map(([k, t]) => [t, k as SettingName]));
  const out: Partial<Record<SettingName, string>> = {};
  for (const [key, value] of Object.entries(table)) {
    const name = byToml.get(key);
    if (name === undefined) {
      throw new CliError(
        'CLI_ERR_CONFIG_MALFORMED',
        `${path}: unknown key ${JSON.stringify(key)}`,
        {
          hint: `known keys: ${Object.values(TOML_KEYS).join(', ')}`,
          context: { path, key },
        },
      );
    }
    if (typeof value !== 'string' || value === '') {
      throw new CliError(
        'CLI_ERR_CONFIG_MALFORMED',
        `${path}: ${key} must be a non-empty string, got ${describe(value)}`,
        { hint: `write it as ${key} = "…"`, context: { path, key } },
      );
    }
    out[name] = PATH_SETTINGS.includes(name)
      ? absolutePath(value, dirname(path), options.home)
      : value;
  }
  return Object.freeze(out);
}

/**
 * Reads and parses the config file; `null` when it does not exist.
 *
 * @example const file = readConfigFile('/home/op/.config/nixfleet/config.toml', { home });
 */
export function readConfigFile(
  path: string,
  options: { readonly home?: string | undefined } = {},
): FileConfig | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('CLI_ERR_CONFIG_IO', `cannot read ${path}: ${(e as Error).message}`, {
      context: { path },
      cause: e,
    });
  }
  return parseConfigToml(text, path, options);
}

/**
 * Writes the config file with mode 0600 (its directory 0700), atomically:
 * a crash never leaves a half-written config behind.
 *
 * @example writeConfigFile('/home/op/.config/nixfleet/config.toml', settings)
 */
export function writeConfigFile(path: string, settings: ClientSettings): void {
  const body: Record<string, string> = {};
  for (const [name, key] of Object.entries(TOML_KEYS)) body[key] = settings[name as SettingName];
  const text =
    '# nixfleet operator config (docs/operators.md). Flags and NIXFLEET_* env override it.\n' +
    `${stringify(body)}\n`;
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600); // the umask must not widen it
    renameSync(tmp, path);
  } catch (e) {
    throw new CliError('CLI_ERR_CONFIG_IO', `cannot write ${path}: ${(e as Error).message}`, {
      context: { path },
      cause: e,
    });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function describe(value: unknown): string {
  if (value === '') return 'an empty string';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return `a ${typeof value}`;
}
