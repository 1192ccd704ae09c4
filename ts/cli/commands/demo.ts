// `nixfleet demo`: the whole signed loop on this machine, for real, in about
// a minute — examples/demo/fleet.nix evaluated with mkFleet, real closures
// built, `nixfleet release` signing into a real binary cache, a control
// plane and eight agents as processes (each in its own network namespace when
// run as root), a 3-wave canary watched live with `nixfleet watch`, then a
// bad generation rolled back automatically. Processes and namespaces are
// cleaned up; the state directory is kept and printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { runScenario, type ReleaseEvent } from '../../harness/index.ts';
import type { CliIo } from '../io.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { DEMO } from '../flags/release.ts';
import { addFlags } from '../flags/table.ts';

const REPO = new URL('../../..', import.meta.url).pathname.replace(/\/$/, '');

/** Options of {@link demoCommand}. */
export interface DemoOptions {
  readonly stateDir?: string;
  /** Run every host on loopback even when namespaces are available. */
  readonly loopback?: boolean;
  /** Show no live view (CI, logs): plain progress lines only. */
  readonly quiet?: boolean;
}

function stopWatch(child: ChildProcess | null, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/** Runs the demo; exit 0 when every step and invariant held. */
export async function demoCommand(io: CliIo, opts: DemoOptions): Promise<ExitCode> {
  const workRoot = resolve(opts.stateDir ?? join(REPO, '.state', 'demo'));
  mkdirSync(workRoot, { recursive: true });
  io.stderr(
    'nixfleet demo: building a fleet of 8 hosts, releasing it signed, starting a control plane and 8 agents…\n' +
      '(first run builds closures with nix-build; the live rollout view appears once the first release is out)',
  );
  let watch: ChildProcess | null = null;
  const onRelease = async (r: ReleaseEvent): Promise<void> => {
    await stopWatch(watch, 3_000);
    const id = r.published.rolloutIds[0];
    if (!id || opts.quiet) {
      io.stderr(`released ${r.published.generation} as ${id ?? '(no rollout)'}`);
      return;
    }
    // The operator's own view, as a separate process on this terminal.
    watch = spawn(
      process.execPath,
      [
        join(REPO, 'bin/nixfleet.mjs'),
        'watch',
        id,
        '--cp-url',
        r.cpUrl,
        '--ca-cert',
        r.caCert,
        '--client-cert',
        r.clientCert,
        '--client-key',
        r.clientKey,
        '--interval',
        '500ms',
      ],
      { stdio: ['inherit', 'inherit', 'inherit'] },
    );
  };
  const result = await runScenario({
    scenario: join(REPO, 'examples/demo/scenario.nix'),
    workRoot,
    namespaces: !opts.loopback,
    onRelease,
  });
  await stopWatch(watch, 5_000);
  io.stdout(`\n${result.timeline.join('\n')}\n\n`);
  if (!result.ok) {
    io.stderr(`nixfleet demo: FAILED\n${result.failure ?? ''}`);
  } else {
    io.stdout(
      `nixfleet demo: done in ${(result.durationMs / 1000).toFixed(0)} s (${result.network === 'netns' ? 'one network namespace per host' : 'loopback'}).\n` +
        'The canary rolled out wave by wave; the bad generation failed its health probe on the canaries,\n' +
        'which rolled back on their own; the later waves were never dispatched and the closure is quarantined.\n',
    );
  }
  io.stdout(`State (keys, release, CP database, agent state, logs): ${result.workDir}\n`);
  return result.ok ? EXIT.ok : EXIT.rejected;
}

/** Adds `demo`. */
export function registerDemo(
  program: Command,
  ctx: { readonly io: CliIo; readonly setExit: (c: ExitCode) => void },
): void {
  addFlags(
    program
      .command('demo')
      .description(
        'run the whole signed loop on this machine: release, control plane, 8 agents, canary, automatic rollback',
      ),
    DEMO,
  ).action(async (o: DemoOptions) => ctx.setExit(await demoCommand(ctx.io, o)));
}
