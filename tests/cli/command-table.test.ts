// The root help of `nixfleet` comes from the command table
// (ts/cli/commands/index.ts) so that it loads no command module; each line
// must say what the module, once loaded, registers: the same top-level
// names, the same term (`watch [options] [rollout-id]`) and description.
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../ts/cli/commands/index.ts';
import type { OperatorCtx } from '../../ts/cli/commands/operator-context.ts';

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

describe('the command table', () => {
  it.each(COMMANDS.map((c) => [Object.keys(c.help).join(', '), c] as const))(
    '%s: the table line is what the module registers',
    async (_, entry) => {
      const program = new Command('nixfleet');
      (await entry.load())(program, ctx);
      const help = new Help();
      const registered = Object.fromEntries(
        program.commands.map((c) => [c.name(), [help.subcommandTerm(c), c.description()]]),
      );
      expect(registered).toEqual(entry.help);
    },
  );

  it('names every command once', () => {
    const names = COMMANDS.flatMap((c) => Object.keys(c.help));
    expect(new Set(names).size).toBe(names.length);
  });
});
