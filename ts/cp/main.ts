// The `nixfleet-control-plane` program: `serve` runs the daemon, `tick` runs
// one reconcile against the database and the signed artifacts and prints the
// plan as JSON lines. Owns argv, environment mirrors (NIXFLEET_CP_*),
// signals and exit codes (0 ok, 1 runtime failure, 2 configuration or
// usage error); nothing else in ts/cp touches them.
import { Command, CommanderError, Option } from 'commander';
import { parseConfig, FLAGS } from './config.ts';
import { createControlPlane } from './cp.ts';
import { CpError, isCpError } from './errors.ts';
import { createLogger } from './log.ts';
import { helpText } from '../flags/spec.ts';
import { formatVersion, versionInfo, wantsVersion } from '../version/version.ts';

function withFlags(cmd: Command): Command {
  for (const spec of FLAGS) {
    const opt = new Option(spec.flag, helpText(spec));
    if (spec.env !== null) opt.env(spec.env);
    if (spec.default !== undefined) opt.default(spec.default);
    cmd.addOption(opt);
  }
  return cmd;
}

function exitCodeOf(e: unknown): number {
  if (isCpError(e) && (e.code === 'CP_ERR_CONFIG' || e.code === 'CP_ERR_STRICT_MODE')) return 2;
  return 1;
}

/** The one plain line an operator reads in `systemctl status` or a terminal. */
function fatalLine(e: unknown): string {
  const what = isCpError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  return `nixfleet-control-plane: ${what}\n`;
}

async function serve(opts: Record<string, unknown>): Promise<number> {
  const config = parseConfig(opts, { cwd: process.cwd() });
  const log = createLogger({ level: config.logLevel });
  // The handlers go in before anything starts: a stop requested while the
  // CP is still starting (systemd, a supervisor, a test that saw "listening"
  // a moment before start() returned) must shut down gracefully once it is
  // up, not kill the process with the signal's default action.
  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    signalled(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let cp: Awaited<ReturnType<typeof createControlPlane>> | null = null;
  let deposed: (e: CpError) => void = () => undefined;
  const lost = new Promise<CpError>((resolve) => (deposed = resolve));
  try {
    // Fail closed: a replica that stops leading has stopped deciding and
    // refuses every request (CP_ERR_NOT_LEADER) at once; it then stops and
    // exits 1, and the supervisor restarts it as a follower.
    cp = await createControlPlane(config, { log, onLostLeadership: (e) => deposed(e) });
    await cp.start();
    const why = await Promise.race([stopRequested, lost]);
    if (why instanceof CpError) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Refuses (typed) for one lock interval before the port closes.
      await new Promise((r) => setTimeout(r, config.leaderRetryMs));
      await cp.stop().catch((e: unknown) => log.error({ err: e }, 'shutdown failed'));
      process.stderr.write(fatalLine(why));
      return exitCodeOf(why);
    }
    log.info({ signal: why }, 'shutting down');
    await cp.stop().catch((e: unknown) => log.error({ err: e }, 'shutdown failed'));
    return 0;
  } catch (e) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // Expected failures carry their fix in the message; only bugs need a stack.
    if (isCpError(e) && e.code !== 'CP_ERR_INTERNAL') {
      log.fatal({ code: e.code, details: e.details }, e.message);
    } else {
      log.fatal({ err: e }, 'control plane failed');
    }
    process.stderr.write(fatalLine(e));
    // A half-started CP holds workers, timers and the commit thread; they
    // are released so the process ends instead of idling without a listener.
    await cp?.stop().catch(() => undefined);
    return exitCodeOf(e);
  }
}

async function tickOnce(opts: Record<string, unknown>): Promise<number> {
  const config = parseConfig(opts, { cwd: process.cwd() });
  const log = createLogger({ level: config.logLevel, destination: process.stderr as never });
  const cp = await createControlPlane(config, { log });
  try {
    // On PostgreSQL a tick decides, so it needs the leadership: it waits two
    // lock attempts for it and refuses while a serving replica leads.
    if (!(await cp.lead(2 * config.leaderRetryMs + 1_000))) {
      throw new CpError(
        'CP_ERR_NOT_LEADER',
        'another control plane replica leads this database: run tick against a database no replica serves, or stop the replicas first',
      );
    }
    await cp.poll();
    const summary = await cp.tick('cli');
    const out: string[] = [
      JSON.stringify({
        type: 'tick',
        at: summary.at,
        actions: summary.actions.length,
        applied: summary.applied,
        failed: summary.failed,
        decisions: summary.decisions,
      }),
      ...summary.actions.map((a) => JSON.stringify({ type: 'action', ...a })),
      ...cp.runtime.state.tick.lastDecisions.map((d) => JSON.stringify({ type: 'decision', ...d })),
    ];
    process.stdout.write(out.join('\n') + '\n');
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await cp.stop();
  }
}

/**
 * Runs the program on `argv` (as `process.argv`) and returns the exit code.
 *
 * @example process.exitCode = await run(process.argv);
 */
export async function run(argv: readonly string[]): Promise<number> {
  if (wantsVersion(argv.slice(2))) {
    process.stdout.write(`${formatVersion('nixfleet-control-plane', versionInfo(process.env))}\n`);
    return 0;
  }
  let code = 0;
  const program = new Command('nixfleet-control-plane')
    .description('NixFleet control plane: mTLS router, SQLite state, single-mutator runtime')
    // Answered before parsing (wantsVersion); registered for --help.
    .option('-V, --version', 'print the version, commit and Node version')
    .exitOverride()
    .showHelpAfterError();
  withFlags(program.command('serve').description('run the control plane daemon')).action(
    async (opts: Record<string, unknown>) => {
      code = await serve(opts);
    },
  );
  withFlags(
    program.command('tick').description('run one reconcile tick and print the plan (JSON lines)'),
  ).action(async (opts: Record<string, unknown>) => {
    code = await tickOnce(opts);
  });
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(fatalLine(e));
    return exitCodeOf(e);
  }
  return code;
}

/** Program entry: runs and sets the exit code. */
export async function main(): Promise<void> {
  const code = await run(process.argv);
  process.exitCode = code;
  // Output written so far (a tick's plan on a slow pipe) is flushed first.
  await Promise.all(
    [process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))),
  );
  // Everything is closed by now and the process ends on its own; a handle
  // something left open must not keep a finished CP alive (under systemd it
  // would read "active" with nothing listening), so it gets one second.
  setTimeout(() => process.exit(code), 1_000).unref();
}
