// The sandbox activation backend: the same agent code path as `nixos`, with
// the system profile and the current-system link under a state root
// (`<root>/nix/var/nix/profiles/system`, `<root>/run/current-system`) and the
// closures in a `local?root=<root>` store. The detached switch is a fixed
// /bin/sh program (arguments passed positionally, never interpolated) that,
// like NixOS's activation script, points the current-system link at the new
// system, runs its bin/switch-to-configuration, and records the exit code.
// Its failed systemd units are the lines of <root>/run/nixfleet-sandbox/failed-units
// (absent: none), which a generation's switch-to-configuration or a test
// writes; host files a probe names (the compliance evidence file) are read
// under the root as well. Must never touch anything outside its root.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runNix } from '../../nix/index.ts';
import { AgentError } from '../errors.ts';
import type { ActivationBackend, SwitchHandle, SwitchStatus } from './backend.ts';

/** $1 switch binary, $2 logical system path, $3 current-system link, $4 status file. */
const SWITCH_PROGRAM = [
  'ln -sfn "$2" "$3.tmp" && mv -Tf "$3.tmp" "$3"',
  '"$1" switch',
  'rc=$?',
  'printf "%s" "$rc" > "$4.tmp" && mv -f "$4.tmp" "$4"',
].join('\n');

const STORE_DIR = '/nix/store';

/** Options of {@link createSandboxBackend}. */
export interface SandboxBackendOptions {
  /** The simulated `/`. */
  readonly root: string;
  /** Store URI for nix-env (default `local?root=<root>`). */
  readonly storeUri?: string;
}

/** Reads the last `max` bytes of a file as text ('' when absent). */
export function fileTail(path: string, max = 2000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > max ? text.slice(text.length - max) : text;
  } catch {
    return '';
  }
}

/**
 * Builds the sandbox backend.
 *
 * @example const backend = createSandboxBackend({ root: '/var/lib/nixfleet-agent/sandbox' });
 */
export function createSandboxBackend(options: SandboxBackendOptions): ActivationBackend {
  const root = options.root;
  const storeUri = options.storeUri ?? `local?root=${root}`;
  const profile = join(root, 'nix/var/nix/profiles/system');
  const currentLink = join(root, 'run/current-system');
  const switchDir = join(root, 'run/nixfleet-switch');
  mkdirSync(join(root, 'nix/var/nix/profiles'), { recursive: true });
  mkdirSync(switchDir, { recursive: true });
  const resolveAbsolute = (p: string): string =>
    p === STORE_DIR || p.startsWith(`${STORE_DIR}/`) ? join(root, p) : p;

  return {
    name: 'sandbox',
    switchMethod: 'sandbox-detached',
    async failedUnits() {
      let text: string;
      try {
        text = readFileSync(join(root, 'run/nixfleet-sandbox/failed-units'), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      return text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .sort();
    },
    async currentSystem() {
      try {
        return basename(readlinkSync(currentLink));
      } catch {
        return null;
      }
    },
    storePath: (closure) => join(root, STORE_DIR, closure),
    resolveAbsolute,
    hostFile: (p) => join(root, p),
    async setProfile(closure) {
      const r = await runNix(
        'nix-env',
        [
          '--store',
          storeUri,
          '--option',
          'substituters',
          '',
          '--profile',
          profile,
          '--set',
          `${STORE_DIR}/${closure}`,
        ],
        { timeoutMs: 120_000 },
      );
      if (!r.ok) {
        throw new AgentError('AGENT_ERR_ACTIVATION', `profile set failed: ${r.message}`, {
          context: { closure },
        });
      }
    },
    async launchSwitch(closure, now) {
      const id = `${now}-${randomBytes(3).toString('hex')}`;
      const bin = join(root, STORE_DIR, closure, 'bin/switch-to-configuration');
      const log = join(switchDir, `${id}.log`);
      const fd = openSync(log, 'a', 0o600);
      try {
        const child = spawn(
          '/bin/sh',
          [
            '-c',
            SWITCH_PROGRAM,
            'nixfleet-switch',
            bin,
            `${STORE_DIR}/${closure}`,
            currentLink,
            join(switchDir, `${id}.status`),
          ],
          {
            detached: true,
            stdio: ['ignore', fd, fd],
            env: {
              ...process.env,
              NIXFLEET_SANDBOX_ROOT: root,
              NIXFLEET_SYSTEM: `${STORE_DIR}/${closure}`,
            },
          },
        );
        child.on('error', () => undefined);
        child.unref();
      } catch (e) {
        throw new AgentError(
          'AGENT_ERR_ACTIVATION',
          `cannot launch switch: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      } finally {
        closeSync(fd);
      }
      return { id, closure, startedAt: now };
    },
    async switchStatus(handle: SwitchHandle): Promise<SwitchStatus> {
      let text: string;
      try {
        text = readFileSync(join(switchDir, `${handle.id}.status`), 'utf8').trim();
      } catch {
        return { state: 'running' };
      }
      const code = /^\d+$/.test(text) ? Number(text) : null;
      return {
        state: 'exited',
        exitCode: code,
        stderrTail: fileTail(join(switchDir, `${handle.id}.log`)),
      };
    },
    async defaultHealthChecksPath() {
      // The probe file is rendered into the closure (RFC-0007 §5): read the
      // running system's copy from the sandbox store.
      const rel = 'etc/nixfleet/agent/health-checks.json';
      try {
        return join(root, STORE_DIR, basename(readlinkSync(currentLink)), rel);
      } catch {
        return join(root, rel);
      }
    },
  };
}
