// The `nixfleet` program. Owns argv, the exit code and the process (STYLE.md
// rule 2); every command lives in ts/cli/commands/ and reports an exit code
// instead of exiting. Run through bin/nixfleet.mjs, or `npx tsx ts/cli/main.ts`.
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerCanonicalize } from './commands/canonicalize.ts';
import { EXIT, type ExitCode } from './commands/exit-codes.ts';
import { registerDemo } from './commands/demo.ts';
import { registerKeys } from './commands/keys.ts';
import { registerRelease } from './commands/release.ts';
import { registerVerify } from './commands/verify.ts';
import { processOperatorEnvironment, type OperatorCtx } from './commands/operator-context.ts';
import { registerConfig } from './commands/config.ts';
import { registerMintToken } from './commands/mint-token.ts';
import { registerOperatorKeys } from './commands/operator-keys.ts';
import { registerPki } from './commands/pki.ts';
import { registerInit } from './commands/init.ts';
import { registerHost } from './commands/host.ts';
import { registerTrust } from './commands/trust.ts';
import { registerRollout } from './commands/rollout.tsx';
import { registerStatus } from './commands/status.tsx';
import { registerWatch } from './commands/watch.tsx';
import { registerWhoami } from './commands/whoami.ts';
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
  registerCanonicalize(program, { io, setExit });
  registerVerify(program, { io, setExit });
  registerRelease(program, { io, setExit });
  registerDemo(program, { io, setExit });
  registerKeys(program, { io, setExit, env: process.env });
  const op: OperatorCtx = { io, setExit, ...processOperatorEnvironment(), ...options };
  registerConfig(program, op);
  registerStatus(program, op);
  registerRollout(program, op);
  registerWatch(program, op);
  registerMintToken(program, op);
  registerOperatorKeys(program, op);
  registerPki(program, op);
  registerInit(program, op);
  registerHost(program, op);
  registerTrust(program, op);
  registerWhoami(program, op);
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
