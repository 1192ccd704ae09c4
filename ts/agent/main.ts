// Program entry of `nixfleet-agent`: the only place that reads argv and the
// environment, installs signal handlers and chooses exit codes (STYLE.md
// rule 2). Exit codes: 0 clean shutdown (also when stopped before enrollment
// completed), 2 configuration / trust / host-key error (a flag missing or
// invalid, a file that does not exist or does not parse), 1 anything else
// (AGENT_ERR_START_FAILED: a named file exists but cannot be read).
import { Command, Option } from 'commander';
import { parseAgentConfig, environmentVariableFor } from './config/config.ts';
import { isAgentError } from './errors.ts';
import { startAgent } from './runtime/agent.ts';
import { formatVersion, versionInfo } from '../version/version.ts';

const FLAGS: readonly (readonly [string, string])[] = [
  ['--control-plane-url <url>', 'control plane origin (https://…)'],
  ['--machine-id <hostname>', 'this host’s name; must equal the client certificate CN'],
  [
    '--poll-interval <duration>',
    'pause between dispatch polls when the CP does not hold (default 60s)',
  ],
  ['--trust-file <path>', 'trust.json (default /etc/nixfleet/agent/trust.json)'],
  ['--ca-cert <path>', 'CA certificate of the control plane'],
  [
    '--client-cert <path>',
    'client certificate (written by enrollment; default <state-dir>/tls/client.crt)',
  ],
  ['--client-key <path>', 'client key (default: the SSH host key)'],
  ['--bootstrap-token-file <path>', 'bootstrap token used to enroll when no certificate exists'],
  ['--state-dir <path>', 'state directory (default /var/lib/nixfleet-agent)'],
  ['--ssh-host-key-file <path>', 'SSH host ed25519 key (default /etc/ssh/ssh_host_ed25519_key)'],
  ['--health-checks-config <path>', 'health-checks.json (default depends on the backend)'],
  ['--activation-backend <name>', 'nixos | sandbox (default nixos)'],
  ['--cache-url <url...>', 'binary cache(s) to fetch closures from, in order'],
  ['--sandbox-root <path>', 'sandbox backend root (default <state-dir>/sandbox)'],
  [
    '--store <uri>',
    'Nix store closures are copied into (sandbox default local?root=<sandbox-root>)',
  ],
  ['--log-level <level>', 'pino level (default info)'],
  ['--long-poll-timeout <duration>', 'dispatch long-poll timeout (default 60s)'],
  ['--heartbeat-interval <duration>', 'heartbeat cadence (default 60s)'],
  ['--poll-budget <duration>', 'POLL_BUDGET for the current-system poll (default 300s)'],
  ['--activation-poll-interval <duration>', 'current-system poll interval (default 2s)'],
  ['--clock-skew-slack <duration>', 'CLOCK_SKEW_SLACK (default 60s)'],
  ['--quarantine-window <duration>', 'local closure quarantine (default 24h)'],
  ['--quarantine-repost-throttle <duration>', 'ClosureQuarantined throttle (default 1h)'],
  ['--sustained-failure-threshold <duration>', 'enforce-probe sustained failure (default 60s)'],
  ['--offline-grace <duration>', 'warn when the CP is unreachable this long (default 7d)'],
  ['--tick-interval <duration>', 'reducer timer tick (default 1s)'],
  ['--backoff-base <duration>', 'first retry delay (default 1s)'],
  ['--backoff-max <duration>', 'retry delay cap (default 300s)'],
  ['--request-timeout <duration>', 'per-request timeout (default 30s)'],
  ['--realise-timeout <duration>', 'nix copy timeout (default 30m)'],
];

/** The one plain line an operator reads in `systemctl status` or a terminal. */
function fatalLine(e: unknown): string {
  const what = isAgentError(e) ? `${e.code}: ${e.message}` : (e as Error).message;
  return `nixfleet-agent: ${what}\n`;
}

async function main(): Promise<number> {
  const program = new Command('nixfleet-agent')
    .description('NixFleet agent: the last line of defence on every host')
    .option('-V, --version', 'print the version, commit and Node version');
  for (const [flag, help] of FLAGS) {
    const opt = new Option(flag, help);
    const name = opt.attributeName();
    program.addOption(opt.env(environmentVariableFor(name)));
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
