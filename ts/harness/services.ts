// The comms fleet's services in the harness (scenarios comms-*, generation
// field `comms`): names the host binaries the closures' units run (Debian's
// nats-server, this Node.js, the nats client package) and the hosts'
// addresses on the fleet network in runnerFile, for
// tests/harness/nix/comms.nix; and stops the units at teardown. Units are
// started by the hosts' switch-to-configuration, detached in their own
// session, so neither the agents' end nor a namespace's removal ends them.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessScenario } from '../contracts/index.ts';
import { REPO } from './publish.ts';
import { ScenarioFailure } from './failure.ts';
import type { NetworkLab } from './netns.ts';

/** Whether any generation of the scenario runs comms services. */
export function usesServices(scenario: HarnessScenario): boolean {
  return Object.values(scenario.generations).some((g) => Object.keys(g.comms ?? {}).length > 0);
}

function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Adds `services` to runnerFile: `{ natsServer; node; natsClient; addresses }`.
 * Refuses to run without nats-server (scripts/ensure-deps.sh installs it) or
 * without network namespaces (the services listen on fixed ports, one host
 * per namespace, as on separate machines).
 */
export function prepareServices(options: {
  readonly scenario: HarnessScenario;
  readonly runnerFile: string;
  readonly lab: NetworkLab;
  readonly hosts: readonly string[];
}): void {
  if (!usesServices(options.scenario)) return;
  const natsServer = which('nats-server');
  if (natsServer === null) {
    throw new ScenarioFailure(
      `scenario ${options.scenario.name} runs the real nats-server, which is not installed: run scripts/ensure-deps.sh as root (Debian package nats-server)`,
    );
  }
  if (options.lab.mode !== 'netns') {
    throw new ScenarioFailure(
      `scenario ${options.scenario.name} runs services on fixed ports (4222, 8222, 6167, 9464), one host per network namespace: run it as root without --loopback`,
    );
  }
  const runner = JSON.parse(readFileSync(options.runnerFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    options.runnerFile,
    JSON.stringify(
      {
        ...runner,
        services: {
          natsServer,
          node: process.execPath,
          natsClient: join(REPO, 'node_modules/nats'),
          addresses: Object.fromEntries(
            options.hosts.map((h) => [h, options.lab.addHost(h).address]),
          ),
        },
      },
      null,
      2,
    ),
  );
}

/**
 * Stops every unit a host's switches started, and any switch still running
 * (SIGKILL: the run is over). A switch the agent launched detached may still
 * be starting a unit after its pid file was read, so the process table is
 * searched as well: every unit and switch names a path under the host's
 * sandbox root on its command line. Two passes, 300 ms apart.
 */
export async function stopServices(sandboxRoot: string): Promise<void> {
  for (let pass = 0; pass < 2; pass++) {
    for (const pid of [...pidFiles(sandboxRoot), ...processesUnder(sandboxRoot)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Stops the services of every host of a scenario that runs any (the sandboxes under `workDir`). */
export async function stopScenarioServices(
  scenario: HarnessScenario,
  workDir: string,
  hosts: readonly string[],
): Promise<void> {
  if (!usesServices(scenario)) return;
  for (const h of hosts) await stopServices(join(workDir, 'hosts', h, 'sandbox'));
}

function pidFiles(sandboxRoot: string): number[] {
  const dir = join(sandboxRoot, 'run/nixfleet-sandbox/units');
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  return names
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 1);
}

function processesUnder(sandboxRoot: string): number[] {
  const needle = `${sandboxRoot}/`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
