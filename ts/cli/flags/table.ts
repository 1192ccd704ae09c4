// The shape of `nixfleet`'s per-command flag tables (ts/cli/flags/*.ts) and
// the two things done with them: registering a command's options on
// commander, so that `--help` is drawn from the table, and reading a
// duration flag through the one grammar with the unit and bounds the table
// gives it. A command module never calls `.option()` itself;
// tests/cli/flag-tables.test.ts fails when commander knows an option that
// its command's table does not. Light: no command module is imported here.
import type { Command } from 'commander';
import { parseDuration as parseCoreDuration, type DurationResult } from '../../core/duration.ts';
import { flagName, helpText, type FlagSpec, type FlagType } from '../../flags/spec.ts';
import { CLIENT_FLAGS } from '../config/flags.ts';
import { CliError } from '../errors.ts';

/** One option of one `nixfleet` command. */
export interface CommandFlag extends FlagSpec {
  /** Commander refuses the command line without it (a usage error, exit 2). */
  readonly required?: boolean;
  /** Each use adds a value; absent, the option is undefined. */
  readonly repeatable?: boolean;
  /** Durations: the least value accepted, in ms (default 1: zero is refused). */
  readonly minMs?: number;
}

/** The options of one command, by its full name (`rollout events`). */
export interface CommandFlags {
  readonly command: string;
  /** Whether the command talks to the CP and so takes CLIENT_FLAGS after its own. */
  readonly client: boolean;
  readonly flags: readonly CommandFlag[];
}

/** The attribute commander stores an option under: `--no-color` → `color`. */
function attributeOf(flag: string): string {
  const long = flag.split(/[ ,]+/).find((p) => p.startsWith('--')) ?? flag;
  return long
    .slice(2)
    .replace(/^no-/, '')
    .replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The type a placeholder implies (`<file>` is a path); an explicit type wins. */
function typeOf(flag: string): FlagType {
  const arg = /<([^>]+)>/.exec(flag)?.[1];
  if (arg === undefined) return 'switch';
  if (arg === 'duration') return 'duration';
  if (arg === 'file' || arg === 'path' || arg === 'dir') return 'path';
  if (arg === 'url') return 'url';
  return 'string';
}

/** What a table row may say beyond its flag and description. */
export type FlagExtras = Partial<Omit<CommandFlag, 'flag' | 'description' | 'key'>>;

/**
 * A table row: key and type follow from the commander spelling (`--interval
 * <duration>` is a duration in seconds), no variable unless given.
 *
 * @example flag('--interval <duration>', 'refresh interval', { default: '2s' })
 */
export function flag(spelling: string, description: string, extras: FlagExtras = {}): CommandFlag {
  const type = extras.type ?? typeOf(spelling);
  return {
    flag: spelling,
    key: attributeOf(spelling),
    type,
    env: null,
    description,
    ...(type === 'duration' ? { unit: 's' } : {}),
    ...(extras.required === true ? { defaultText: 'required' } : {}),
    ...extras,
  };
}

/** `cmd --help`'s line of a flag: the table's text and, when it has one, its variable. */
export function flagHelp(spec: FlagSpec): string {
  return spec.env === null ? helpText(spec) : `${helpText(spec)} (env ${spec.env})`;
}

const collect = (v: string, acc: string[] | undefined): string[] => [...(acc ?? []), v];

/**
 * Registers a command's options from its table, then the CP-facing client
 * flags when the command takes them.
 *
 * @example addFlags(program.command('status'), STATUS_FLAGS).action(…)
 */
export function addFlags(cmd: Command, table: CommandFlags): Command {
  for (const f of table.flags) {
    const text = flagHelp(f);
    if (f.required === true) cmd.requiredOption(f.flag, text);
    else if (f.repeatable === true) cmd.option(f.flag, text, collect);
    // A switch with a default is `false` in the table's text, a boolean to commander.
    else if (f.type === 'switch')
      cmd.option(f.flag, text, f.default === 'false' ? false : undefined);
    else cmd.option(f.flag, text, f.default);
  }
  if (table.client) addClientFlags(cmd);
  return cmd;
}

/** `--timeout`, the client flag every CP-facing command reads as a duration. */
export const CLIENT_TIMEOUT = CLIENT_FLAGS.find((f) => f.key === 'timeout') as FlagSpec;

/**
 * Adds --config, --cp-url, --ca-cert, --client-cert, --client-key and
 * --timeout. Not commander's .env(): resolve.ts owns the flag > variable >
 * file order.
 */
export function addClientFlags(cmd: Command): Command {
  for (const f of CLIENT_FLAGS) cmd.option(f.flag, flagHelp(f), f.default);
  return cmd;
}

/** The row of `key` in `table`; a missing row is a bug of the command module. */
export function flagOf(table: CommandFlags, key: string): CommandFlag {
  const f = table.flags.find((x) => x.key === key);
  if (f === undefined) throw new Error(`${table.command}: no flag ${key} in its table`);
  return f;
}

/**
 * A duration flag's value through the one grammar (ts/core/duration.ts),
 * with the table's unit for a plain number and its bounds; the table's
 * default when the flag is absent.
 *
 * @example checkDuration(flagOf(WATCH_FLAGS, 'interval'), '1.5s') // { ok: true, ms: 1500 }
 */
export function checkDuration(
  spec: CommandFlag | FlagSpec,
  text: string | undefined,
): DurationResult {
  if (spec.type !== 'duration') throw new Error(`${flagName(spec)} is not a duration flag`);
  const value = text ?? spec.default;
  if (value === undefined) throw new Error(`${flagName(spec)} has no value and no default`);
  return parseCoreDuration(value, {
    bareUnit: spec.unit ?? 's',
    minMs: (spec as CommandFlag).minMs ?? 1,
  });
}

/**
 * {@link checkDuration} in ms, or a CLI_ERR_USAGE naming the flag with the
 * refusal's reason in its context.
 *
 * @example durationFlag(flagOf(WATCH_FLAGS, 'interval'), opts.interval) // 2000
 */
export function durationFlag(spec: CommandFlag | FlagSpec, text: string | undefined): number {
  const r = checkDuration(spec, text);
  if (r.ok) return r.ms;
  const name = flagName(spec);
  throw new CliError('CLI_ERR_USAGE', `${name}: ${r.message}`, {
    context: { flag: name, reason: r.reason },
  });
}
