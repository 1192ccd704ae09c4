// Every option of every `nixfleet` command comes from the command's flag
// table (ts/cli/flags/): each command module is loaded and registered as
// main.ts does, and the options commander then knows — spelling, help
// text, default, whether required, in order — must be the table's, then the
// client flags for a CP-facing command. An option added with `.option()`
// in a command module, or a table row no command registers, fails here.
// The docs' per-command tables are checked by tests/binaries/flag-tables.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../ts/cli/commands/index.ts';
import type { OperatorCtx } from '../../ts/cli/commands/operator-context.ts';
import { CLIENT_FLAGS } from '../../ts/cli/config/flags.ts';
import { COMMAND_TABLES } from '../../ts/cli/flags/index.ts';
import { checkDuration, flagHelp, type CommandFlag } from '../../ts/cli/flags/table.ts';
import { flagName, type FlagSpec } from '../../ts/flags/spec.ts';

const root = join(import.meta.dirname, '..', '..');

const ctx: OperatorCtx = {
  io: {
    stdout: () => undefined,
    stderr: () => undefined,
    readStdin: async () => '',
    readFile: async () => '',
    now: () => 0,
  } as unknown as OperatorCtx['io'],
  setExit: () => undefined,
  env: {},
  cwd: '/',
  terminal: null,
};

/** Every command without subcommands, by its full name (`rollout events`). */
function leaves(cmd: Command, prefix: readonly string[] = []): Map<string, Command> {
  const out = new Map<string, Command>();
  for (const sub of cmd.commands) {
    const name = [...prefix, sub.name()];
    if (sub.commands.length === 0) out.set(name.join(' '), sub);
    else for (const [n, c] of leaves(sub, name)) out.set(n, c);
  }
  return out;
}

/** What commander should hold for a table row. */
function expected(spec: FlagSpec & Partial<CommandFlag>): unknown {
  const dflt =
    spec.repeatable === true
      ? undefined
      : spec.type === 'switch'
        ? spec.default === 'false'
          ? false
          : undefined
        : spec.default;
  return {
    flags: spec.flag,
    description: flagHelp(spec),
    defaultValue: dflt,
    mandatory: spec.required === true,
  };
}

let commands: Map<string, Command>;
beforeAll(async () => {
  const program = new Command('nixfleet');
  for (const entry of COMMANDS) (await entry.load())(program, ctx);
  commands = leaves(program);
});

describe('nixfleet: one flag table per command', () => {
  it('every command has a table, and every table a command', () => {
    const tables = COMMAND_TABLES.map((t) => t.command);
    expect(new Set(tables).size).toBe(tables.length);
    expect([...commands.keys()].filter((c) => !tables.includes(c))).toEqual([]);
    expect(tables.filter((c) => !commands.has(c))).toEqual([]);
  });

  it.each(COMMAND_TABLES.map((t) => [t.command, t] as const))(
    '%s: commander knows exactly the options of its table',
    (name, table) => {
      const cmd = commands.get(name);
      expect(cmd, `no command ${name}`).toBeDefined();
      const known = (cmd?.options ?? []).map((o) => ({
        flags: o.flags,
        description: o.description,
        defaultValue: o.defaultValue as unknown,
        mandatory: o.mandatory,
      }));
      const rows = [...table.flags, ...(table.client ? CLIENT_FLAGS : [])];
      expect(known).toEqual(rows.map(expected));
      const help = cmd?.helpInformation() ?? '';
      for (const f of rows) expect(help).toContain(flagName(f));
    },
  );

  it.each(COMMAND_TABLES.map((t) => [t.command, t] as const))(
    '%s: a <duration> value is a duration row whose default the grammar accepts',
    (_, table) => {
      for (const f of table.flags) {
        expect([f.flag, f.type === 'duration']).toEqual([f.flag, f.flag.includes('<duration>')]);
        if (f.type === 'duration' && f.default !== undefined)
          expect([f.flag, checkDuration(f, undefined).ok]).toEqual([f.flag, true]);
      }
    },
  );

  // The tables hold each duration flag's unit and bounds; a command parsing a
  // duration by itself would bypass them.
  it('no command module parses a duration except through its table row', () => {
    const dir = join(root, 'ts/cli/commands');
    const offenders = readdirSync(dir)
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.test.ts'))
      .filter((f) => {
        const text = readFileSync(join(dir, f), 'utf8');
        return /\bparseDuration\b|\.option\(|\.requiredOption\(|addOption\(/.test(text);
      });
    expect(offenders).toEqual([]);
  });
});
