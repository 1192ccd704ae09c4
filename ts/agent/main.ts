// Program entry of `nixfleet-agent`: the only place that reads argv and the
// environment, installs signal handlers and chooses exit codes (STYLE.md
// rule 2). Exit codes: 0 clean shutdown (also when stopped before enrollment
// completed), 2 configuration / trust / host-key error (a flag missing or
// invalid, a file that does not exist or does not parse), 1 anything else
// (AGENT_ERR_START_FAILED: a named file exists but cannot be read).
import { Command, Option } from 'commander';
import { parseAgentConfig } from './config/config.ts';
import { FLAGS } from './config/flags.ts';
import { helpTextWithDefault } from '../flags/spec.ts';
import { isAgentError } from './errors.ts';
import { startAgent } from './runtime/agent.ts';
import { formatVersion, versionInfo } from '../version/version.ts';

/** The one plain line an operator reads in `systemctl status` or a terminal. */
function fatalLine(e: unknown): string {
  const what = isAgentError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  return `nixfleet-agent: ${what}\n`;
}

async function main(): Promise<number> {
  const program = new Command('nixfleet-agent')
    .description('NixFleet agent: the last line of defence on every host')
    .option('-V, --version', 'print the version, commit and Node version');
  // Defaults are applied by parseAgentConfig (flag > variable > default);
  // --help shows them from the table.
  for (const spec of FLAGS) {
    const opt = new Option(spec.flag, helpTextWithDefault(spec));
    program.addOption(spec.env === null ? opt : opt.env(spec.env));
  }
  program.parse(process.argv);
  // Anywhere on the line, as commander's -V was: the agent has no subcommands.
  if (program.opts()['version'] === true) {
    process.stdout.write(`${formatVersion('nixfleet-agent', versionInfo(process.env))}\n`);
    return 0;
  }
  let config;
  try {
    config = parseAgentConfig(program.opts(), process.env, { cwd: process.cwd() });
  } catch (e) {
    process.stderr.write(fatalLine(e));
    return 2;
  }
  const controller = new AbortController();
  let agent;
  const stop = (): void => controller.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    agent = await startAgent(config, {}, controller.signal);
  } catch (e) {
    // Stopped while still enrolling: a requested shutdown, not a failure.
    if (controller.signal.aborted) return 0;
    process.stderr.write(fatalLine(e));
    const code = isAgentError(e) ? e.code : '';
    return ['AGENT_ERR_CONFIG', 'AGENT_ERR_TRUST', 'AGENT_ERR_HOST_KEY', 'AGENT_ERR_TLS'].includes(
      code,
    )
      ? 2
      : 1;
  }
  await new Promise<void>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve()),
  );
  await agent.stop();
  return 0;
}

const code = await main();
process.exitCode = code;
await Promise.all(
  [process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))),
);
// The agent has stopped (or never started); a handle something left open
// must not keep it alive for its supervisor, so it gets one second.
setTimeout(() => process.exit(code), 1_000).unref();
