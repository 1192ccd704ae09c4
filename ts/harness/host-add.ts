// Step `hostAdd`: a new host in under a minute, measured on a running fleet.
// The real `nixfleet host add` writes the host's entry into the fleet's
// hosts.json, its SSH host key and token into the directory the machine is
// provisioned from and its nonce into the nonces file; the step's generation
// is released (its fleet reads both files, as a fleet author's fleet.nix
// does) while the machine boots (its agent starts with that key and token);
// the measure ends when the real `nixfleet status --json` shows the host
// Converged on the closure the release declares for it and, with
// `heartbeatSubject`, a real NATS subscription on the broker has seen the
// host's heartbeat. The parts come from the instants the step takes and the
// logs of the control plane and the new agent; invariant hostAddWithin
// judges the total against the step's budget.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'nats';
import type { HarnessScenario } from '../contracts/index.ts';
import { ScenarioFailure } from './failure.ts';
import type { RunFixtures } from './fixtures.ts';
import { REPO, publishGeneration, type Published } from './publish.ts';
import { formatMeasure, measureOf, type HostAddMeasure } from './host-add-measure.ts';
import { statusHosts } from './status-cli.ts';

const run = promisify(execFile);
const NATS_PORT = 4222;

/** A scenario's `hostAdd` step. */
export type HostAddStep = NonNullable<HarnessScenario['steps'][number]['hostAdd']>;

/** pino JSON lines of a log file. */
function logLines(file: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((l) => {
    try {
      const v = JSON.parse(l) as unknown;
      return typeof v === 'object' && v !== null ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

const firstAt = (
  lines: readonly Record<string, unknown>[],
  pred: (l: Record<string, unknown>) => boolean,
): number | null => {
  const l = lines.find(pred);
  return l === undefined || typeof l['time'] !== 'number' ? null : (l['time'] as number);
};

/** The host's wave in the released fleet.resolved (its channel's waves), or null. */
function waveOf(releaseDir: string, host: string): number | null {
  try {
    const r = JSON.parse(readFileSync(join(releaseDir, 'fleet.resolved.json'), 'utf8')) as {
      hosts: Record<string, { channel: string }>;
      waves: Record<string, { hosts: string[] }[]>;
    };
    const waves = r.waves[r.hosts[host]?.channel ?? ''] ?? [];
    const i = waves.findIndex((w) => w.hosts.includes(host));
    return i < 0 ? null : i;
  } catch {
    return null;
  }
}

/** What the step needs from the run. */
export interface HostAddContext {
  readonly scenario: HarnessScenario;
  readonly scenarioFile: string;
  readonly fixtures: RunFixtures;
  readonly workDir: string;
  readonly releaseDir: string;
  readonly cacheDir: string;
  readonly sequence: number;
  readonly timeoutSecs: number;
  readonly cp: { cpUrl: string; caCert: string; clientCert: string; clientKey: string };
  /** The broker's address on the fleet network (heartbeatSubject). */
  readonly brokerAddress: () => string;
  /** Gives the host its network and starts its agent with the key and token host add made. */
  readonly boot: (host: string, identity: { sshKeyFile: string; tokenFile: string }) => void;
  readonly onPublished: (p: Published) => void;
  readonly note: (line: string) => void;
}

/** A NATS subscription that records when its first message arrives. */
async function watchSubject(
  server: string,
  subject: string,
): Promise<{ first: () => number | null; close: () => Promise<void> }> {
  const nc = await connect({ servers: server, name: 'harness-host-add', timeout: 5000 });
  let first: number | null = null;
  const sub = nc.subscribe(subject, {
    callback: () => {
      first ??= Date.now();
    },
  });
  // The subscription is registered on the server once this round trip returns.
  await nc.flush();
  return {
    first: () => first,
    close: async () => {
      sub.unsubscribe();
      await nc.close();
    },
  };
}

/** `nixfleet status --json`: whether it shows `host` Converged on `closure`. */
async function statusShows(
  cp: HostAddContext['cp'],
  host: string,
  closure: string,
): Promise<boolean> {
  const r = await statusHosts(cp.cpUrl, cp);
  if ('error' in r) return false;
  const row = r.hosts.find((h) => h.hostname === host);
  return row?.state === 'Converged' && (row.currentClosure ?? '').endsWith(closure);
}

/** Runs the step; resolves to what it measured (printed through `note`). */
export async function hostAddStep(step: HostAddStep, c: HostAddContext): Promise<HostAddMeasure> {
  const { fixtures: fx, workDir } = c;
  const fleetDir = join(workDir, 'fleet');
  const hostsFile = join(fleetDir, 'hosts.json');
  const noncesFile = join(fleetDir, 'nonces.json');
  const out = join(workDir, 'provision', step.host);
  mkdirSync(fleetDir, { recursive: true });
  // The fleet reads the files host add writes (tests/harness/nix/generation.nix).
  const runner = JSON.parse(readFileSync(fx.runnerFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(fx.runnerFile, JSON.stringify({ ...runner, hostsFile, noncesFile }, null, 2));
  const broker =
    step.heartbeatSubject == null
      ? null
      : await watchSubject(`nats://${c.brokerAddress()}:${NATS_PORT}`, step.heartbeatSubject);
  if (broker !== null) c.note(`subscribed to ${step.heartbeatSubject} on the broker`);
  try {
    const start = Date.now();
    c.note(`nixfleet host add ${step.host}`);
    await run(
      process.execPath,
      [
        join(REPO, 'bin/nixfleet.mjs'),
        'host',
        'add',
        step.host,
        ...(step.tags && step.tags.length > 0 ? ['--tags', step.tags.join(',')] : []),
        ...(step.channel ? ['--channel', step.channel] : []),
        '--fleet-resolved',
        join(c.releaseDir, 'fleet.resolved.json'),
        '--trust',
        fx.trustFile,
        '--org-root-key',
        fx.orgRootKeyFile,
        '--nonces-file',
        noncesFile,
        '--write',
        hostsFile,
        '--out',
        out,
        '--minted-by',
        'harness',
      ],
      { cwd: REPO, timeout: 60_000 },
    ).catch((e: { stderr?: string; message: string }) => {
      throw new ScenarioFailure(`nixfleet host add ${step.host}: ${e.stderr?.trim() || e.message}`);
    });
    const added = Date.now();
    // The machine boots with its key and token while CI releases.
    c.boot(step.host, {
      sshKeyFile: join(out, 'ssh_host_ed25519_key'),
      tokenFile: join(out, 'token.json'),
    });
    c.note(`${step.host} booted; release ${step.release}`);
    const p = await publishGeneration({
      scenario: c.scenario,
      scenarioFile: c.scenarioFile,
      generation: step.release,
      fixtures: fx,
      workDir,
      releaseDir: c.releaseDir,
      cacheDir: c.cacheDir,
      sequence: c.sequence,
    });
    if (p === null) throw new ScenarioFailure(`release ${step.release} refused`);
    const released = Date.now();
    c.onPublished(p);
    const closure = p.closures[step.host];
    if (closure === undefined)
      throw new ScenarioFailure(
        `release ${step.release} has no closure for ${step.host}: its fleet did not take the host from ${hostsFile}`,
      );
    c.note(`released ${step.release} as ${p.rolloutIds.join(', ')}; waiting for ${step.host}`);
    const deadline = start + c.timeoutSecs * 1000;
    let shownByStatus: number | null = null;
    for (;;) {
      if (shownByStatus === null && (await statusShows(c.cp, step.host, closure)))
        shownByStatus = Date.now();
      const beat = broker?.first() ?? null;
      if (shownByStatus !== null && (broker === null || beat !== null)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const agent = logLines(join(workDir, `agent-${step.host}.log`));
    const cpLog = logLines(join(workDir, 'cp.log'));
    const rollouts = new Set(p.rolloutIds);
    const adopted = firstAt(
      cpLog,
      (l) => l['msg'] === 'fleet.resolved adopted' && l['ciCommit'] === p.ciCommit,
    );
    const hostWave = waveOf(c.releaseDir, step.host);
    const m = measureOf(step.host, step.withinSecs ?? 60, {
      start,
      added,
      released,
      adopted,
      enrolled: firstAt(agent, (l) => l['msg'] === 'enrolled'),
      refusedEnrollments: agent.filter((l) => l['msg'] === 'enrollment refused').length,
      hostWave,
      // Wave 0 starts when the rollout opens, at the adoption.
      waveReached:
        hostWave === 0
          ? adopted
          : firstAt(
              cpLog,
              (l) =>
                l['msg'] === 'wave promoted' &&
                l['wave'] === hostWave &&
                rollouts.has(String(l['rolloutId'])),
            ),
      dispatched: firstAt(agent, (l) => l['msg'] === 'dispatch received'),
      realised: firstAt(agent, (l) => l['msg'] === 'closure realised'),
      converged: firstAt(
        agent,
        (l) =>
          l['msg'] === 'host state transition' &&
          l['to'] === 'Converged' &&
          rollouts.has(String(l['rolloutId'])),
      ),
      shownByStatus,
      ...(broker === null ? {} : { heartbeat: broker.first() }),
    });
    for (const line of formatMeasure(m)) c.note(line);
    return m;
  } finally {
    await broker?.close().catch(() => undefined);
  }
}
