// The faults the local runner injects into a scenario: process faults
// (kill, restart, start an agent, wipe the CP's database), network cuts,
// artifacts tampered after signing, an agent whose host clock is skewed
// (skewClock) and a removed probe file. Owns how each is made real; never
// adds a knob to the production agent. A skewed clock is the agent process restarted under
// libfaketime (LD_PRELOAD), which shifts every wall-clock read of the process
// — Node's Date.now(), OpenSSL's certificate validity checks, child
// processes — while leaving the monotonic clock (timers, sleeps) real.
// Before trusting it the fault measures the offset a Node process actually
// sees inside the host's namespace, so a libfaketime that does not take
// fails the scenario instead of silently testing an unskewed agent.
import { execFile } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  existsSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { HarnessScenario } from '../contracts/index.ts';
import { ScenarioFailure } from './failure.ts';
import type { NetworkLab } from './netns.ts';
import type { ProcessSpec, Supervisor } from './supervisor.ts';

const run = promisify(execFile);

type Fault = NonNullable<HarnessScenario['steps'][number]['fault']>;
type Wait = NonNullable<HarnessScenario['steps'][number]['wait']>;

/** What the extra faults need from the runner. */
export interface ExtraFaultContext {
  readonly sup: Supervisor;
  readonly lab: NetworkLab;
  readonly agentSpec: (h: string) => ProcessSpec;
  /** The host's sandbox root (its store under nix/store, run/current-system). */
  readonly hostRoot: (h: string) => string;
  readonly releaseDir: string;
  readonly note: (line: string) => void;
}

/** Where Debian (package `faketime`) installs the multi-threaded libfaketime. */
const LIBFAKETIME_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1',
];

/** The libfaketime shared object, or `null` when it is not installed. */
export function libfaketimePath(): string | null {
  return LIBFAKETIME_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Environment that shifts a process's wall clock by `seconds` (negative:
 * behind). The monotonic clock stays real so timers and timeouts keep their
 * length.
 *
 * @example faketimeEnv(-600) // { LD_PRELOAD: '…libfaketimeMT.so.1', FAKETIME: '-600', … }
 */
export function faketimeEnv(seconds: number): Record<string, string> {
  const lib = libfaketimePath();
  if (lib === null) {
    throw new ScenarioFailure(
      'skewClock needs libfaketime (Debian package faketime; scripts/ensure-deps.sh installs it)',
    );
  }
  return {
    LD_PRELOAD: lib,
    FAKETIME: `${seconds >= 0 ? '+' : ''}${Math.trunc(seconds)}`,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/**
 * The wall-clock offset, in seconds, that a Node process started with
 * `argvPrefix` (e.g. a namespace wrapper) and `env` observes.
 */
export async function measureClockOffset(
  wrap: (argv: string[]) => string[],
  env: Record<string, string>,
): Promise<number> {
  const argv = wrap([process.execPath, '-e', 'process.stdout.write(String(Date.now()))']);
  const before = Date.now();
  const { stdout } = await run(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  const after = Date.now();
  const seen = Number(stdout.trim());
  if (!Number.isFinite(seen)) throw new ScenarioFailure(`clock probe printed ${stdout.trim()}`);
  return (seen - (before + after) / 2) / 1000;
}

/** Restarts each target agent with its wall clock skewed by `fault.seconds`. */
async function skewClock(fault: Fault, ctx: ExtraFaultContext): Promise<void> {
  const seconds = fault.seconds;
  if (seconds === null || seconds === undefined)
    throw new ScenarioFailure('skewClock needs `seconds` (negative: behind)');
  const targets = fault.hosts ?? [];
  if (targets.length === 0) throw new ScenarioFailure('skewClock needs `hosts`');
  const env = seconds === 0 ? {} : faketimeEnv(seconds);
  for (const h of targets) {
    const seen = await measureClockOffset((argv) => ctx.lab.wrap(h, argv), env);
    // Process start-up takes well under the tolerance; a libfaketime that did
    // not take would report ~0.
    if (Math.abs(seen - seconds) > 5)
      throw new ScenarioFailure(
        `skewClock on ${h}: asked for ${seconds} s, a Node process under libfaketime saw ${seen.toFixed(1)} s`,
      );
    await ctx.sup.kill(`agent-${h}`, 'SIGTERM');
    ctx.sup.start({ ...ctx.agentSpec(h), env });
    ctx.note(
      `agent ${h} restarted with its clock ${seconds} s off (measured ${seen.toFixed(1)} s)`,
    );
  }
}

/**
 * Flips one byte of the newest rollout manifest in the release directory
 * (the one the last release wrote), after signing.
 */
export function tamperRolloutManifest(releaseDir: string, note: (line: string) => void): void {
  const dir = join(releaseDir, 'rollouts');
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ f, m: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.m - a.m)[0];
  if (!newest) throw new ScenarioFailure(`no rollout manifest under ${dir} to tamper with`);
  const path = join(dir, newest.f);
  const bytes = readFileSync(path);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  writeFileSync(path, bytes);
  note(`tampered rollout manifest ${newest.f} (one byte flipped after signing)`);
}

/**
 * Deletes etc/nixfleet/agent/health-checks.json from the closure each host
 * runs (its sandbox store copy), then restarts the agent so it reloads its
 * probe set: a probe the signed manifest declares is now missing from the
 * closure the agent reads. A host whose closure had no file fails the
 * scenario (the fault would prove nothing).
 */
async function removeProbeFile(fault: Fault, ctx: ExtraFaultContext): Promise<void> {
  const targets = fault.hosts ?? [];
  if (targets.length === 0) throw new ScenarioFailure('removeProbeFile needs `hosts`');
  for (const h of targets) {
    const root = ctx.hostRoot(h);
    const closure = basename(readlinkSync(join(root, 'run/current-system')));
    const file = join(root, 'nix/store', closure, 'etc/nixfleet/agent/health-checks.json');
    if (!existsSync(file))
      throw new ScenarioFailure(`removeProbeFile on ${h}: ${closure} has no probe file to remove`);
    // Store directories are read-only; the sandbox store belongs to the runner.
    chmodSync(dirname(file), 0o755);
    rmSync(file);
    await ctx.sup.kill(`agent-${h}`, 'SIGTERM');
    ctx.sup.start(ctx.agentSpec(h));
    ctx.note(`removed the probe file of ${closure} on ${h} and restarted its agent`);
  }
}

/**
 * Injects the faults run.ts does not handle itself. Throws a
 * {@link ScenarioFailure} for a fault the local runner cannot make real.
 */
export async function injectExtraFault(fault: Fault, ctx: ExtraFaultContext): Promise<void> {
  switch (fault.kind) {
    case 'skewClock':
      return skewClock(fault, ctx);
    case 'removeProbeFile':
      return removeProbeFile(fault, ctx);
    default:
      throw new ScenarioFailure(`fault ${fault.kind} is not supported by the local runner yet`);
  }
}

/** What every fault needs from the runner. */
export interface FaultContext extends ExtraFaultContext {
  readonly startCp: () => Promise<void>;
  readonly dbDir: string;
  readonly waitFor: (c: Wait, timeoutSecs: number) => Promise<void>;
}

/** Injects one step's fault; a fault that cannot be made real fails the step. */
export async function injectFault(fault: Fault, ctx: FaultContext): Promise<void> {
  const targets = fault.hosts ?? [];
  if (fault.duringActivation)
    await ctx.waitFor({ kind: 'hostState', hosts: targets, state: 'Activating' }, 120);
  ctx.note(`fault ${fault.kind}${targets.length ? ` on ${targets.join(', ')}` : ''}`);
  switch (fault.kind) {
    case 'killCp':
      return ctx.sup.kill('cp', 'SIGKILL');
    case 'restartCp':
      await ctx.sup.kill('cp', 'SIGTERM');
      return ctx.startCp();
    case 'wipeCpDb':
      await ctx.sup.kill('cp', 'SIGKILL');
      rmSync(ctx.dbDir, { recursive: true, force: true });
      mkdirSync(ctx.dbDir, { recursive: true });
      return ctx.startCp();
    case 'killAgent':
      for (const h of targets) await ctx.sup.kill(`agent-${h}`, 'SIGKILL');
      return;
    case 'startAgent':
      for (const h of targets) {
        if (ctx.sup.running(`agent-${h}`))
          throw new ScenarioFailure(`startAgent: ${h} already runs`);
        ctx.sup.start(ctx.agentSpec(h));
      }
      return;
    case 'restartAgent':
      for (const h of targets) {
        await ctx.sup.kill(`agent-${h}`, 'SIGTERM');
        ctx.sup.start(ctx.agentSpec(h));
      }
      return;
    case 'cutNetwork':
      for (const h of targets) ctx.lab.cut(h);
      return;
    case 'restoreNetwork':
      for (const h of targets) ctx.lab.restore(h);
      return;
    case 'tamperArtifact': {
      if (fault.artifact === 'rollout-manifest')
        return tamperRolloutManifest(ctx.releaseDir, ctx.note);
      const name = fault.artifact === 'revocations' ? 'revocations.json' : 'fleet.resolved.json';
      const path = join(ctx.releaseDir, name);
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
      writeFileSync(path, bytes);
      return;
    }
    default:
      return injectExtraFault(fault, ctx);
  }
}
