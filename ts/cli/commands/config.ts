// `nixfleet config init` writes the operator config file (mode 0600) after
// checking what it names; `nixfleet config show` prints the resolved
// settings and where each came from (flag > NIXFLEET_* env > file).
import { accessSync, constants, existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  absolutePath,
  defaultConfigPath,
  TOML_KEYS,
  writeConfigFile,
  type SettingName,
} from '../config/config-file.ts';
import { checkCpUrl } from '../config/resolve.ts';
import { CliError } from '../errors.ts';
import { CONFIG_INIT, CONFIG_SHOW } from '../flags/fleet.ts';
import { addFlags, CLIENT_TIMEOUT, durationFlag } from '../flags/table.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  printJson,
  reportError,
  resolveFromFlags,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';

/** Options of {@link configInitCommand}. */
export interface ConfigInitOptions {
  readonly cpUrl: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly path?: string;
  readonly force?: boolean;
}

const FILE_FLAGS: ReadonlyArray<readonly [SettingName, string]> = [
  ['caCert', '--ca-cert'],
  ['clientCert', '--client-cert'],
  ['clientKey', '--client-key'],
];

/**
 * Writes config.toml: absolute paths, https URL, files readable now (a
 * config that names a missing key would only fail later, further from the
 * typo). Refuses to overwrite without --force.
 *
 * @example configInitCommand(ctx, { cpUrl: 'https://cp:8443', caCert: 'ca.pem', clientCert: 'op.pem', clientKey: 'op.key' })
 */
export function configInitCommand(ctx: OperatorCtx, opts: ConfigInitOptions): ExitCode {
  try {
    const home = ctx.env['HOME'];
    const target = absolutePath(
      opts.path ?? ctx.env['NIXFLEET_CONFIG'] ?? defaultConfigPath(ctx.env),
      ctx.cwd,
      home,
    );
    const cpUrl = checkCpUrl(opts.cpUrl, 'init');
    const paths = {} as Record<SettingName, string>;
    for (const [name, flag] of FILE_FLAGS) {
      const p = absolutePath(opts[name], ctx.cwd, home);
      try {
        accessSync(p, constants.R_OK);
      } catch (e) {
        throw new CliError('CLI_ERR_CONFIG_IO', `${flag} ${p}: ${(e as Error).message}`, {
          hint: 'point it at an existing PEM file (`nixfleet mint-operator-cert` makes the operator pair)',
          context: { path: p },
          cause: e,
        });
      }
      paths[name] = p;
    }
    if (existsSync(target) && !opts.force) {
      throw new CliError('CLI_ERR_CONFIG_IO', `${target} exists; not overwriting it`, {
        hint: 'pass --force to replace it, or --path to write elsewhere',
        context: { path: target },
      });
    }
    writeConfigFile(target, {
      cpUrl,
      caCert: paths.caCert,
      clientCert: paths.clientCert,
      clientKey: paths.clientKey,
    });
    ctx.io.stderr(`nixfleet config init: wrote ${target} (mode 0600)`);
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'config init', e);
  }
}

/**
 * Prints the resolved settings with their sources (`--json` for scripts).
 *
 * @example configShowCommand(ctx, { json: true })
 */
export function configShowCommand(
  ctx: OperatorCtx,
  opts: ClientFlags & { json?: boolean },
): ExitCode {
  try {
    // Shown nowhere, but a --timeout the other commands would refuse is refused here too.
    durationFlag(CLIENT_TIMEOUT, opts.timeout);
    const cfg = resolveFromFlags(ctx, opts);
    if (opts.json) {
      printJson(ctx, cfg);
      return EXIT.ok;
    }
    const names: SettingName[] = ['cpUrl', 'caCert', 'clientCert', 'clientKey'];
    const lines = names.map((n) => `${TOML_KEYS[n].padEnd(11)} = ${cfg[n]}  (${cfg.sources[n]})`);
    ctx.io.stdout(`# config file: ${cfg.configPath ?? 'none'}\n${lines.join('\n')}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'config show', e);
  }
}

/**
 * Adds `config init` and `config show`.
 *
 * @example registerConfig(program, ctx)
 */
export function registerConfig(program: Command, ctx: OperatorCtx): void {
  const config = program
    .command('config')
    .description('operator config file (~/.config/nixfleet/config.toml)');
  addFlags(
    config.command('init').description('write the operator config file (mode 0600)'),
    CONFIG_INIT,
  ).action((o: ConfigInitOptions) => ctx.setExit(configInitCommand(ctx, o)));
  addFlags(
    config
      .command('show')
      .description('print the resolved settings and where each came from (flag, env, file)'),
    CONFIG_SHOW,
  ).action((o: ClientFlags & { json?: boolean }) => ctx.setExit(configShowCommand(ctx, o)));
}
