// The `nixfleet` program. Owns argv, the exit code and the process (STYLE.md
// rule 2); every command lives in ts/cli/commands/ and reports an exit code
// instead of exiting. Run through bin/nixfleet.mjs (sources) or dist/nixfleet.js (the build).
import { Command, CommanderError, Help } from 'commander';
import { COMMANDS } from './commands/index.ts';
import { EXIT, type ExitCode } from './commands/exit-codes.ts';
import type { OperatorCtx } from './commands/operator-context.ts';
import { processIo, type CliIo } from './io.ts';
import { formatVersion, versionInfo, wantsVersion } from '../version/version.ts';

/**
 * Runs the CLI on arguments (without `node` and the script path) and returns
 * the exit code. Usage errors — unknown command, missing flag — are exit 2.
 *
 * @example
 *   const code = await runCli(['verify', 'artifact', '--artifact', 'f.json', …], processIo());
 */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  options: Partial<Pick<OperatorCtx, 'env' | 'cwd' | 'terminal'>> = {},
): Promise<ExitCode> {
  if (wantsVersion(args)) {
    io.stdout(`${formatVersion('nixfleet', versionInfo(options.env ?? process.env))}\n`);
    return EXIT.ok;
  }
  let code: ExitCode = EXIT.ok;
  const setExit = (c: ExitCode): void => {
    code = c;
  };
  const program = new Command('nixfleet')
    .description('NixFleet: declarative NixOS fleet management')
    .showHelpAfterError()
    // Answered before parsing (wantsVersion); registered for --help.
    .option('-V, --version', 'print the version, commit and Node version')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .exitOverride();
  // Only the module of the command asked for is loaded (`help <command>` too);
  // every other command is a stub carrying its root-help line.
  const asked = args[0] === 'help' ? args[1] : args[0];
  const wanted = COMMANDS.find((c) => asked !== undefined && Object.hasOwn(c.help, asked));
  for (const entry of COMMANDS) {
    if (entry === wanted) {
      const { processOperatorEnvironment } = await import('./commands/operator-context.ts');
      const op: OperatorCtx = { io, setExit, ...processOperatorEnvironment(), ...options };
      (await entry.load())(program, op);
    } else {
      for (const [name, [, description]] of Object.entries(entry.help))
        program.command(name).description(description);
    }
  }
  const terms = new Map(COMMANDS.flatMap((c) => Object.entries(c.help).map(([n, [t]]) => [n, t])));
  const help = new Help();
  program.configureHelp({
    subcommandTerm: (cmd) => terms.get(cmd.name()) ?? help.subcommandTerm(cmd),
  });
  // exitOverride applies to the subcommands created so far, recursively.
  const override = (cmd: Command): void => {
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
    cmd.commands.forEach(override);
  };
  override(program);
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.error;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through the same path with exit code 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    throw e;
  }
  return code;
}

/**
 * Process entry: runs the CLI on process.argv and sets the exit code (not
 * process.exit, so buffered stdout is flushed first).
 *
 * @example
 *   await main();
 */
export async function main(): Promise<void> {
  try {
    process.exitCode = await runCli(process.argv.slice(2), processIo());
  } catch (e) {
    process.stderr.write(`nixfleet: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70; // EX_SOFTWARE: a broken invariant, not a verdict
  }
}
