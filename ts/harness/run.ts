// Runs one harness scenario for real: keys and certificates, a signed binary
// cache served over HTTP, `nixfleet release` per generation, a control plane
// process (SQLite) or replicas on a throwaway PostgreSQL cluster
// (replicas.ts), one agent process per host (sandbox activation, its own
// `local?root=` store, its own network namespace when the machine allows),
// the scenario's timeline of releases, waits and faults, then its
// invariants. On failure: the timeline, the CP's view with the last decisions
// and their reasons, and log tails. Always cleans up its processes and
// namespaces; leaves the work directory for inspection.
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { HarnessScenario } from '../contracts/index.ts';
import { nixEvalExprJson } from '../nix/index.ts';
import { serveCache, type ServedCache } from './cache.ts';
import { ScenarioFailure } from './failure.ts';
import { injectFault } from './faults.ts';
import { makeFixtures, type RunFixtures } from './fixtures.ts';
import { NetworkLab, namespacesAvailable } from './netns.ts';
import { Observer } from './observe.ts';
import { keepReleaseCopy } from './audit-verifies.ts';
import { checkInvariants } from './scenario-invariants.ts';
import { REPO, publishStep, type Published } from './publish.ts';
import { Supervisor } from './supervisor.ts';
import { RecoveryLedger } from './boot-recovery.ts';
import { checkEnrollRefused, replayEnrollToken, type ReplayOutcome } from './enroll-replay.ts';
import { prepareSecrets } from './secrets.ts';
import { prepareServices, stopScenarioServices } from './services.ts';
import { operatorStep, untilAdopted } from './operator-step.ts';
import { agentProcess, cpSpec as makeCpSpec } from './specs.ts';
import { hostAddStep } from './host-add.ts';
import type { HostAddMeasure } from './host-add-measure.ts';
import { ReplicaSet } from './replicas.ts';

type Step = HarnessScenario['steps'][number];

/** How to run. */
export interface RunOptions {
  /** Scenario name (tests/harness/scenarios/<name>.nix) or a path. */
  readonly scenario: string;
  /** Where run directories go (default .state/harness). */
  readonly workRoot?: string;
  /** Use network namespaces when available (default true). */
  readonly namespaces?: boolean;
  readonly log?: (line: string) => void;
  /** Called after each release, with what an operator client needs to watch it. */
  readonly onRelease?: (release: ReleaseEvent) => void | Promise<void>;
}

/** A published generation and how to reach the CP that rolls it out. */
export interface ReleaseEvent {
  readonly published: Published;
  readonly cpUrl: string;
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** What a run established. */
export interface ScenarioResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly network: 'netns' | 'loopback';
  readonly workDir: string;
  readonly timeline: readonly string[];
  readonly failure: string | null;
}

export const SCENARIO_DIR = join(REPO, 'tests/harness/scenarios');

/** The scenario with its defaults filled, validated by the Nix side of its contract. */
export async function loadScenario(file: string): Promise<HarnessScenario> {
  const expr = `let s = import ${REPO}/lib/schema; in s.check "scenario ${basename(file)}" (s.loadContract ${REPO}/contracts/harness-scenario.nix) (import ${file})`;
  const r = await nixEvalExprJson<HarnessScenario>(expr, { timeoutMs: 60_000 });
  if (!r.ok) throw new Error(`loading ${file}: ${r.stderr.trim() || r.message}`);
  return r.value;
}

async function freePort(address: string): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, address, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class StepFailure extends ScenarioFailure {}

/** Runs a scenario end to end. Never throws for a scenario failure: see `ok` and `failure`. */
export async function runScenario(options: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const file = options.scenario.includes('/')
    ? resolve(options.scenario)
    : join(SCENARIO_DIR, `${options.scenario}.nix`);
  const scenario = await loadScenario(file);
  const workDir = join(
    options.workRoot ?? join(REPO, '.state/harness'),
    `${scenario.name}-${new Date(started).toISOString().replace(/[:.]/g, '-')}`,
  );
  mkdirSync(workDir, { recursive: true });
  const timeline: string[] = [];
  const note = (line: string): void => {
    const entry = `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}`;
    timeline.push(entry);
    options.log?.(entry);
  };
  const t = scenario.timing!;
  const hosts = Object.keys(scenario.fleet['hosts'] as Record<string, unknown>).sort();
  const useNetns = (options.namespaces ?? true) && namespacesAvailable();
  const lab = new NetworkLab({ useNamespaces: useNetns, subnet: 2 + (process.pid % 250) });
  const sup = new Supervisor();
  const published: Published[] = [];
  let served: ServedCache | null = null;
  let observer: Observer | null = null;
  let failure: string | null = null;
  const hostAdds: HostAddMeasure[] = [];
  let replicas: ReplicaSet | null = null;
  try {
    note(
      `scenario ${scenario.name}: ${scenario.description} (${hosts.length} hosts, network ${lab.mode})`,
    );
    for (const h of hosts) lab.addHost(h);
    const fx: RunFixtures = await makeFixtures({
      dir: workDir,
      hosts,
      cpAddresses: [lab.cpAddress, 'localhost'],
      now: Date.now(),
    });
    const secrets = await prepareSecrets({ scenario, fixtures: fx, workDir, hosts });
    prepareServices({ scenario, runnerFile: fx.runnerFile, lab, hosts });
    const recovery = new RecoveryLedger(
      (h) => join(workDir, 'hosts', h),
      (h) => join(workDir, `agent-${h}.log`),
    );
    const replays = new Map<string, ReplayOutcome>();
    const cacheDir = join(workDir, 'cache');
    mkdirSync(cacheDir, { recursive: true });
    served = await serveCache(cacheDir, lab.cpAddress);
    const releaseDir = join(workDir, 'releases');
    const dbDir = join(workDir, 'cp');
    mkdirSync(dbDir, { recursive: true });
    const port = await freePort(lab.cpAddress);
    const cpUrl = `https://${lab.cpAddress}:${port}`;
    const operatorClient = {
      cpUrl,
      caCert: fx.pki.caCertFile,
      clientCert: fx.operator.certFile,
      clientKey: fx.operator.keyFile,
    };
    if (scenario.replicas != null) {
      const ports = [port];
      while (ports.length < scenario.replicas) ports.push(await freePort(lab.cpAddress));
      replicas = new ReplicaSet({
        sup,
        ports,
        address: lab.cpAddress,
        dbDir,
        cp: { workDir, fx, releaseDir, timing: t },
        operator: operatorClient,
        note,
      });
    }
    // Agents are given every replica's URL; every other agent lists a
    // follower first and is served through it.
    const agentCpUrl = (h: string): string =>
      replicas ? replicas.urlsFor(hosts.indexOf(h)).join(',') : cpUrl;
    const cpSpec = makeCpSpec({
      workDir,
      listen: `${lab.cpAddress}:${port}`,
      fx,
      dbDir,
      releaseDir,
      timing: t,
    });
    const agentSpec = (h: string, identity?: { sshKeyFile: string; tokenFile: string }) =>
      agentProcess(
        { workDir, host: h, cpUrl: agentCpUrl(h), fx, cacheUrl: served!.url, timing: t, identity },
        (host, argv) => lab.wrap(host, argv),
      );
    observer = new Observer({
      ...operatorClient,
      releaseDir,
      hosts,
      published: () => published,
    });
    const obs = observer;

    const startCp = async (): Promise<void> => {
      if (replicas) return replicas.start();
      sup.start(cpSpec);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const v = await obs.check({ kind: 'cpAlert', code: '__none__' });
        if (!v.detail.startsWith('CP unreachable')) break;
        if (!sup.running('cp'))
          throw new StepFailure(`control plane exited at start:\n${sup.tail('cp')}`);
        if (Date.now() > deadline)
          throw new StepFailure(`control plane not answering after 60 s: ${v.detail}`);
        await sleep(200);
      }
      note(`control plane up at ${cpUrl}`);
    };
    await startCp();
    // Hosts in notStarted never enroll nor heartbeat until a startAgent fault.
    const notStarted = new Set(scenario.notStarted ?? []);
    for (const h of hosts) if (!notStarted.has(h)) sup.start(agentSpec(h));
    note(
      `${hosts.length - notStarted.size} agents started${notStarted.size > 0 ? `; not started: ${[...notStarted].join(', ')}` : ''}`,
    );

    const waitFor = async (cond: NonNullable<Step['wait']>, timeoutSecs: number): Promise<void> => {
      const deadline = Date.now() + timeoutSecs * 1000;
      let last = '';
      for (;;) {
        const v =
          cond.kind === 'enrollRefused'
            ? checkEnrollRefused({
                hosts: cond.hosts ?? [],
                outcomes: replays,
                issuanceLog: join(dbDir, 'issuance.log'),
                nonceOf: (h) => fx.hosts.get(h)?.nonce,
              })
            : cond.kind === 'hostRecovered'
              ? recovery.check(cond.hosts ?? [], await obs.latestEvents().catch(() => []))
              : await obs.check(cond);
        if (v.ok) {
          note(`ok: ${cond.kind} — ${v.detail}`);
          return;
        }
        last = v.detail;
        if (Date.now() > deadline)
          throw new StepFailure(
            `timed out after ${timeoutSecs} s waiting for ${JSON.stringify(cond)}: ${last}`,
          );
        await sleep(250);
      }
    };

    let sequence = 0;
    for (const [i, step] of scenario.steps.entries()) {
      if (step.release) {
        note(`release ${step.release}`);
        const p = await publishStep(
          step,
          {
            scenario,
            scenarioFile: file,
            generation: step.release,
            fixtures: fx,
            workDir,
            releaseDir,
            cacheDir,
            sequence: sequence++,
          },
          note,
        );
        if (p === null) continue;
        published.push(p);
        keepReleaseCopy(releaseDir, workDir, published.length);
        note(`released ${step.release} as ${p.rolloutIds.join(', ') || '(no rollout)'}`);
        await options.onRelease?.({ published: p, ...operatorClient });
      }
      if (step.fault?.kind === 'replayEnrollToken') {
        for (const h of step.fault.hosts ?? []) {
          const r = await replayEnrollToken({
            host: h,
            cpUrl,
            caCertFile: fx.pki.caCertFile,
            tokenFile: fx.hosts.get(h)!.tokenFile,
            sshKeyFile: fx.hosts.get(h)!.sshKeyFile,
          });
          replays.set(h, r);
          note(
            `fault replayEnrollToken on ${h}: answered ${r.status ?? 'nothing'} ${r.code ?? ''}`,
          );
        }
      } else if (step.fault?.kind === 'killLeader') {
        if (!replicas) throw new StepFailure('killLeader needs control-plane `replicas`');
        note('fault killLeader');
        await replicas.killLeader();
        // Operator reads follow the leader, as an operator told by CP_ERR_NOT_LEADER does.
        operatorClient.cpUrl = replicas.leader.url;
        obs.retarget(replicas.leader.url);
      } else if (step.fault) {
        if (replicas) replicas.refuseSingleCpFault(step.fault.kind);
        await recovery.before(step.fault).catch((e: Error) => {
          throw new StepFailure(e.message);
        });
        recovery.beforeRestart(step.fault);
        await injectFault(step.fault, {
          sup,
          lab,
          agentSpec,
          hostRoot: (h: string) => join(workDir, 'hosts', h, 'sandbox'),
          startCp,
          releaseDir,
          dbDir,
          waitFor,
          note,
        });
        recovery.after(step.fault);
      }
      if (step.operator) {
        const ids = published.at(-1)?.rolloutIds ?? [];
        await untilAdopted(() => obs.rolloutIds(), ids, step.operator.channel ?? 'stable');
        await operatorStep(step.operator, operatorClient, note, fx);
      }
      if (step.hostAdd) {
        const m = await hostAddStep(step.hostAdd, {
          scenario,
          scenarioFile: file,
          fixtures: fx,
          workDir,
          releaseDir,
          cacheDir,
          sequence: sequence++,
          timeoutSecs: step.timeoutSecs ?? 60,
          cp: operatorClient,
          brokerAddress: () => lab.addHost('nats-01').address,
          boot: (h, identity) => {
            lab.addHost(h);
            hosts.push(h);
            sup.start(agentSpec(h, identity));
          },
          onPublished: (p) => {
            published.push(p);
            keepReleaseCopy(releaseDir, workDir, published.length);
          },
          note,
        });
        hostAdds.push(m);
      }
      if (step.sleepSecs) {
        note(`sleep ${step.sleepSecs} s`);
        await sleep(step.sleepSecs * 1000);
      }
      if (step.wait) {
        note(
          `step ${i}: wait for ${step.wait.kind} ${JSON.stringify({ ...step.wait, kind: undefined })}`,
        );
        await waitFor(step.wait, step.timeoutSecs ?? 60);
      }
    }

    // Invariants, from the CP's own event log and the signed manifests.
    const violations = await checkInvariants(scenario.invariants ?? [], {
      observer: obs,
      secrets,
      scenario,
      hosts,
      workDir,
      releaseDir,
      release: published[published.length - 1],
      published,
      trustFile: fx.trustFile,
      cp: operatorClient,
      hostAdds,
      takeovers: replicas?.takeovers ?? [],
      note,
    });
    if (violations.length > 0)
      throw new StepFailure(`invariants violated:\n  ${violations.join('\n  ')}`);
    note(`invariants hold: ${(scenario.invariants ?? []).join(', ') || '(none declared)'}`);
  } catch (e) {
    failure = e instanceof ScenarioFailure ? e.message : `${(e as Error).stack ?? String(e)}`;
    note(`FAILED: ${failure.split('\n')[0]}`);
    if (observer)
      failure += `\n\nCP view:\n${await observer.report().catch((x: Error) => x.message)}`;
    for (const name of sup.names()) failure += `\n\n--- ${name} log tail\n${sup.tail(name, 15)}`;
  } finally {
    observer?.close();
    await sup.stopAll();
    replicas?.destroy();
    await stopScenarioServices(scenario, workDir, hosts);
    await served?.close();
    lab.destroy();
  }
  const result: ScenarioResult = {
    name: scenario.name,
    ok: failure === null,
    durationMs: Date.now() - started,
    network: lab.mode,
    workDir,
    timeline,
    failure,
  };
  writeFileSync(join(workDir, 'result.json'), JSON.stringify(result, null, 2));
  return result;
}
