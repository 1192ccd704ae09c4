// The control plane's and the agents' command lines in a harness run: the
// run's certificates, trust, database, cache and state directories, and the
// scenario's shrunk time constants, or none at all when the scenario asks
// for the shipped defaults (timing.shipped: what an operator's fleet sees).
import { join } from 'node:path';
import type { HarnessScenario } from '../contracts/index.ts';
import type { RunFixtures } from './fixtures.ts';
import { REPO } from './publish.ts';
import type { ProcessSpec } from './supervisor.ts';

type Timing = NonNullable<HarnessScenario['timing']>;

/** Whether the scenario runs its processes at their shipped default timings. */
export const shippedTimings = (t: Timing): boolean => t.shipped === true;

/** `nixfleet-control-plane serve` for the run. */
export function cpSpec(o: {
  readonly workDir: string;
  readonly listen: string;
  readonly fx: RunFixtures;
  readonly dbDir: string;
  readonly releaseDir: string;
  readonly timing: Timing;
  /** Supervisor and log name (default `cp`). */
  readonly name?: string;
  /** A replica on PostgreSQL: the URL it is reached at and the file naming the database. */
  readonly replica?: { readonly advertiseUrl: string; readonly databaseUrlFile: string };
}): ProcessSpec {
  const t = o.timing;
  const name = o.name ?? 'cp';
  const replica = o.replica
    ? ['--database-url-file', o.replica.databaseUrlFile, '--advertise-url', o.replica.advertiseUrl]
    : [];
  const shrunk = shippedTimings(t)
    ? []
    : [
        '--poll-interval-secs',
        '1',
        '--reconcile-interval-secs',
        String(t.reconcileSecs),
        '--heartbeat-interval-secs',
        String(t.heartbeatSecs),
        '--long-poll-secs',
        String(t.longPollSecs),
        '--confirm-window-secs',
        String(t.confirmWindowSecs),
      ];
  return {
    name,
    logFile: join(o.workDir, `${name}.log`),
    argv: [
      process.execPath,
      join(REPO, 'bin/nixfleet-control-plane.mjs'),
      'serve',
      '--listen',
      o.listen,
      '--tls-cert',
      o.fx.pki.serverCertFile,
      '--tls-key',
      o.fx.pki.serverKeyFile,
      '--fleet-ca-cert',
      o.fx.pki.caCertFile,
      '--fleet-ca-key',
      o.fx.pki.caKeyFile,
      '--trust-file',
      o.fx.trustFile,
      '--db',
      join(o.dbDir, 'state.db'),
      '--release-dir',
      o.releaseDir,
      ...replica,
      ...shrunk,
    ],
  };
}

/** The arguments of {@link agentArgv}. */
export interface AgentArgvOptions {
  readonly workDir: string;
  readonly host: string;
  readonly cpUrl: string;
  readonly fx: RunFixtures;
  readonly cacheUrl: string;
  readonly timing: Timing;
  /** Key and token of a host made after the run started (`nixfleet host add`). */
  readonly identity?: { readonly sshKeyFile: string; readonly tokenFile: string };
}

/**
 * One host's agent process: its argv wrapped into the host's network by
 * `wrap`, its own log, and no Nix narinfo cache (~/.cache/nix) shared with
 * other hosts or the runner's own nix processes (hosts are separate machines).
 */
export function agentProcess(
  o: AgentArgvOptions,
  wrap: (host: string, argv: readonly string[]) => string[],
): ProcessSpec {
  return {
    name: `agent-${o.host}`,
    logFile: join(o.workDir, `agent-${o.host}.log`),
    env: { XDG_CACHE_HOME: join(o.workDir, 'hosts', o.host, 'xdg-cache') },
    argv: wrap(o.host, agentArgv(o)),
  };
}

/** One host's `nixfleet-agent` (sandbox activation), before any network wrapping. */
export function agentArgv(o: AgentArgvOptions): string[] {
  const t = o.timing;
  const id = o.identity ?? o.fx.hosts.get(o.host);
  if (id === undefined) throw new Error(`no key and token for host ${o.host}`);
  const shrunk = shippedTimings(t)
    ? []
    : [
        '--poll-interval',
        '1s',
        '--long-poll-timeout',
        `${t.longPollSecs}s`,
        '--heartbeat-interval',
        `${t.heartbeatSecs}s`,
        '--sustained-failure-threshold',
        `${t.sustainedFailureSecs}s`,
        '--tick-interval',
        '250ms',
        '--activation-poll-interval',
        '250ms',
        '--backoff-base',
        '200ms',
        '--backoff-max',
        '2s',
        '--reconnect-spread',
        '1s',
      ];
  return [
    process.execPath,
    join(REPO, 'bin/nixfleet-agent.mjs'),
    '--control-plane-url',
    o.cpUrl,
    '--machine-id',
    o.host,
    '--trust-file',
    o.fx.trustFile,
    '--ca-cert',
    o.fx.pki.caCertFile,
    '--bootstrap-token-file',
    id.tokenFile,
    '--state-dir',
    join(o.workDir, 'hosts', o.host),
    '--ssh-host-key-file',
    id.sshKeyFile,
    '--activation-backend',
    'sandbox',
    '--cache-url',
    o.cacheUrl,
    ...shrunk,
  ];
}
