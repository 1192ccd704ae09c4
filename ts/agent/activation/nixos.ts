// The real NixOS activation backend (book §1.5 "Self-switch resilience"):
// `nix-env --profile /nix/var/nix/profiles/system --set`, then
// `switch-to-configuration switch` queued in a detached transient systemd
// unit (`systemd-run --unit=nixfleet-switch-<id>`) so systemd stopping the
// agent's own cgroup does not kill the activation; progress is read back
// from the unit. Commands run through an injectable runner (no shell). Must
// never wait on the switch process itself.
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runNix } from '../../nix/index.ts';
import { AgentError } from '../errors.ts';
import type { ActivationBackend, SwitchHandle, SwitchStatus } from './backend.ts';

/** Result of one external command. */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `program args…` without a shell. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

/** The default runner: execFile with a 60 s timeout. */
export const execRunner: CommandRunner = (program, args) =>
  new Promise((resolve) => {
    execFile(program, [...args], { timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (e, out, err) => {
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve({ exitCode: code, stdout: String(out), stderr: String(err) });
    });
  });

/** Options of {@link createNixosBackend}. */
export interface NixosBackendOptions {
  /** Filesystem root (default `/`; tests point it elsewhere). */
  readonly root?: string;
  /** Runs nix-env, systemd-run, systemctl and journalctl (default: execFile / runNix). */
  readonly run?: CommandRunner;
  /** Store URI for nix-env (default: the local store). */
  readonly storeUri?: string | null;
}

/**
 * Unit names of `systemctl list-units --state=failed --no-legend --plain`,
 * without this agent's transient switch units (a failed switch is judged by
 * the activation, and its unit lingers until reset).
 */
export function parseFailedUnits(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((u) => u !== '' && !u.startsWith('nixfleet-switch-'))
    .sort();
}

/** Parses `systemctl show -p …` output into a map. */
export function parseSystemctlShow(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/**
 * Builds the NixOS backend.
 *
 * @example const backend = createNixosBackend();
 */
export function createNixosBackend(options: NixosBackendOptions = {}): ActivationBackend {
  const root = options.root ?? '/';
  const run = options.run ?? execRunner;
  // nix-env goes through runNix by default (its timeout and output limits);
  // an injected runner sees it like every other command.
  const runNixEnv = (args: readonly string[]): Promise<CommandResult> =>
    options.run
      ? options.run('nix-env', args)
      : runNix('nix-env', args, { timeoutMs: 120_000 }).then((r) => ({
          exitCode: r.ok ? 0 : r.exitCode === 0 ? null : r.exitCode,
          stdout: r.ok ? r.value : '',
          stderr: r.ok ? r.stderr : r.stderr || r.message,
        }));
  const profile = join(root, 'nix/var/nix/profiles/system');
  const currentLink = join(root, 'run/current-system');
  const unitOf = (h: SwitchHandle): string => `nixfleet-switch-${h.id}`;
  return {
    name: 'nixos',
    switchMethod: 'systemd-run-detached',
    async failedUnits() {
      const r = await run('systemctl', [
        'list-units',
        '--state=failed',
        '--all',
        '--no-legend',
        '--plain',
        '--full',
      ]);
      if (r.exitCode !== 0) {
        throw new Error(
          `systemctl list-units exited ${r.exitCode}: ${r.stderr.trim().slice(-200)}`,
        );
      }
      return parseFailedUnits(r.stdout);
    },
    async currentSystem() {
      try {
        return basename(readlinkSync(currentLink));
      } catch {
        return null;
      }
    },
    storePath: (closure) => join('/nix/store', closure),
    resolveAbsolute: (p) => p,
    hostFile: (p) => p,
    async setProfile(closure) {
      const args = ['--profile', profile, '--set', join('/nix/store', closure)];
      if (options.storeUri) args.unshift('--store', options.storeUri);
      const r = await runNixEnv(args);
      if (r.exitCode !== 0) {
        throw new AgentError(
          'AGENT_ERR_ACTIVATION',
          `profile set failed (exit ${String(r.exitCode)}): ${r.stderr.trim().slice(-500)}`,
          { context: { closure } },
        );
      }
    },
    async launchSwitch(closure, now) {
      const handle: SwitchHandle = { id: String(now), closure, startedAt: now };
      const r = await run('systemd-run', [
        `--unit=${unitOf(handle)}`,
        '--description=NixFleet switch-to-configuration',
        '--property=Type=exec',
        '--',
        join('/nix/store', closure, 'bin/switch-to-configuration'),
        'switch',
      ]);
      if (r.exitCode !== 0) {
        throw new AgentError(
          'AGENT_ERR_ACTIVATION',
          `systemd-run failed (exit ${String(r.exitCode)}): ${r.stderr.trim()}`,
          { context: { closure } },
        );
      }
      return handle;
    },
    async switchStatus(handle): Promise<SwitchStatus> {
      const r = await run('systemctl', [
        'show',
        unitOf(handle),
        '-p',
        'ActiveState',
        '-p',
        'Result',
        '-p',
        'ExecMainStatus',
        '-p',
        'LoadState',
      ]);
      if (r.exitCode !== 0) return { state: 'unknown' };
      const p = parseSystemctlShow(r.stdout);
      const active = p.get('ActiveState');
      if (p.get('LoadState') === 'not-found' && active === 'inactive') return { state: 'unknown' };
      if (active === 'active' || active === 'activating' || active === 'reloading') {
        return { state: 'running' };
      }
      const status = Number(p.get('ExecMainStatus') ?? 'NaN');
      const exitCode = Number.isInteger(status) ? status : null;
      let tail = '';
      if (exitCode !== 0) {
        const j = await run('journalctl', [
          '-u',
          unitOf(handle),
          '-n',
          '20',
          '--no-pager',
          '-o',
          'cat',
        ]);
        tail = j.stdout.slice(-2000);
      }
      return { state: 'exited', exitCode, stderrTail: tail };
    },
    async defaultHealthChecksPath() {
      return join(root, 'etc/nixfleet/agent/health-checks.json');
    },
  };
}
