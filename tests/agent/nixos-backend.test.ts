// The nixos activation backend with a fake systemd: the command runner at
// the nix-env / systemd-run / systemctl / journalctl boundary is scripted
// (we do not own systemd), everything else is real — the activation
// algorithm of activate.ts, the current-system link on disk under a test
// root, and for the inhibitor check real store paths built with nix-build.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, pollSwitch } from '../../ts/agent/activation/activate.ts';
import {
  createNixosBackend,
  parseSystemctlShow,
  type CommandResult,
} from '../../ts/agent/activation/nixos.ts';
import { systemClock } from '../../ts/agent/clock.ts';
import { isAgentError } from '../../ts/agent/errors.ts';
import { buildToplevel, type BuiltToplevel } from '../support/nix-store.ts';

const OLD = '0000000000000000000000000000000a-nixos-system-web-01-1';
const NEW = '0000000000000000000000000000000b-nixos-system-web-01-2';
const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-nixos-'));
let n = 0;

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A test root whose run/current-system points at `/nix/store/<closure>`. */
function root(current: string | null): string {
  const r = join(tmp, `root-${++n}`);
  mkdirSync(join(r, 'run'), { recursive: true });
  if (current !== null) symlinkSync(`/nix/store/${current}`, join(r, 'run/current-system'));
  return r;
}

function point(r: string, closure: string): void {
  const link = join(r, 'run/current-system');
  try {
    unlinkSync(link);
  } catch {
    // absent
  }
  symlinkSync(`/nix/store/${closure}`, link);
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });

/**
 * A scripted systemd: `systemd-run` records the unit; the unit stays
 * `activating` for `runningPolls` systemctl calls, then ends with `exit`
 * and (if `switches`) points current-system at the closure, as
 * switch-to-configuration does.
 */
class FakeSystemd {
  calls: (readonly string[])[] = [];
  runningPolls = 2;
  exit = 0;
  switches = true;
  nixEnvExit = 0;
  systemdRunExit = 0;
  journal = 'Starting NixOS activation\nwarning: the following units failed: foo.service';
  private units = new Map<string, { closure: string; polls: number }>();

  constructor(private readonly root: string) {}

  readonly run = async (program: string, args: readonly string[]): Promise<CommandResult> => {
    this.calls.push([program, ...args]);
    switch (program) {
      case 'nix-env':
        return { exitCode: this.nixEnvExit, stdout: '', stderr: 'error: cannot set profile' };
      case 'systemd-run': {
        if (this.systemdRunExit !== 0) {
          return {
            exitCode: this.systemdRunExit,
            stdout: '',
            stderr: 'Failed to start transient service unit',
          };
        }
        const unit = String(args.find((a) => a.startsWith('--unit='))).slice('--unit='.length);
        const exe = String(args[args.indexOf('--') + 1]);
        const closure = exe.split('/')[3] as string;
        this.units.set(unit, { closure, polls: 0 });
        return ok();
      }
      case 'systemctl': {
        const u = this.units.get(String(args[1]));
        if (!u)
          return ok(
            'LoadState=not-found\nActiveState=inactive\nResult=success\nExecMainStatus=0\n',
          );
        u.polls += 1;
        if (u.polls <= this.runningPolls) {
          return ok('LoadState=loaded\nActiveState=activating\nResult=success\nExecMainStatus=0\n');
        }
        if (u.polls === this.runningPolls + 1 && this.switches && this.exit === 0)
          point(this.root, u.closure);
        return ok(
          `LoadState=loaded\nActiveState=${this.exit === 0 ? 'inactive' : 'failed'}\nResult=${this.exit === 0 ? 'success' : 'exit-code'}\nExecMainStatus=${this.exit}\n`,
        );
      }
      case 'journalctl':
        return ok(this.journal);
      default:
        return { exitCode: 127, stdout: '', stderr: `unexpected ${program}` };
    }
  };

  programs(): string[] {
    return this.calls.map((c) => c[0] as string);
  }
}

function setup(current: string | null = OLD) {
  const r = root(current);
  const systemd = new FakeSystemd(r);
  const backend = createNixosBackend({ root: r, run: systemd.run });
  return { r, systemd, backend };
}

const poll = { clock: systemClock, pollBudgetMs: 2_000, pollIntervalMs: 10 };
const noop = (): void => undefined;

describe('nixos backend: commands', () => {
  it('sets the system profile with nix-env, with --store when configured', async () => {
    const { r, systemd, backend } = setup();
    await backend.setProfile(NEW);
    expect(systemd.calls[0]).toEqual([
      'nix-env',
      '--profile',
      join(r, 'nix/var/nix/profiles/system'),
      '--set',
      `/nix/store/${NEW}`,
    ]);
    const other = createNixosBackend({ root: r, run: systemd.run, storeUri: 'local?root=/x' });
    await other.setProfile(NEW);
    expect(systemd.calls[1]?.slice(0, 3)).toEqual(['nix-env', '--store', 'local?root=/x']);
  });

  it('launches switch-to-configuration in a detached transient unit', async () => {
    const { systemd, backend } = setup();
    const handle = await backend.launchSwitch(NEW, 1_747_353_600_000);
    expect(handle).toEqual({ id: '1747353600000', closure: NEW, startedAt: 1_747_353_600_000 });
    expect(systemd.calls[0]).toEqual([
      'systemd-run',
      '--unit=nixfleet-switch-1747353600000',
      '--description=NixFleet switch-to-configuration',
      '--property=Type=exec',
      '--',
      `/nix/store/${NEW}/bin/switch-to-configuration`,
      'switch',
    ]);
    expect(backend.switchMethod).toBe('systemd-run-detached');
  });

  it('reads the unit: running, exited with its status and journal tail, unknown', async () => {
    const { systemd, backend } = setup();
    systemd.runningPolls = 1;
    systemd.exit = 4;
    const h = await backend.launchSwitch(NEW, 1);
    expect(await backend.switchStatus(h)).toEqual({ state: 'running' });
    const done = await backend.switchStatus(h);
    expect(done).toMatchObject({ state: 'exited', exitCode: 4 });
    expect(done.state === 'exited' && done.stderrTail).toContain('foo.service');
    expect(systemd.calls.at(-1)).toEqual([
      'journalctl',
      '-u',
      'nixfleet-switch-1',
      '-n',
      '20',
      '--no-pager',
      '-o',
      'cat',
    ]);
    expect(await backend.switchStatus({ id: 'gone', closure: NEW, startedAt: 0 })).toEqual({
      state: 'unknown',
    });
  });

  it('parses systemctl show output', () => {
    const p = parseSystemctlShow('ActiveState=failed\nResult=exit-code\nExecMainStatus=1\n\nx');
    expect([...p]).toEqual([
      ['ActiveState', 'failed'],
      ['Result', 'exit-code'],
      ['ExecMainStatus', '1'],
    ]);
  });

  it('reads the current-system link basename, null without one', async () => {
    expect(await setup(OLD).backend.currentSystem()).toBe(OLD);
    expect(await setup(null).backend.currentSystem()).toBeNull();
  });
});

describe('nixos backend: activation', () => {
  it('sets the profile, switches detached, polls the link and verifies the basename', async () => {
    const { systemd, backend } = setup();
    const launched: string[] = [];
    const out = await activate(backend, NEW, {
      ...poll,
      checkInhibitors: true,
      onLaunched: (h) => void launched.push(h.closure),
    });
    expect(out).toEqual({ kind: 'complete', observed: NEW, exitCode: 0 });
    expect(launched).toEqual([NEW]);
    expect(systemd.programs().slice(0, 2)).toEqual(['nix-env', 'systemd-run']);
    expect(systemd.programs().filter((p) => p === 'systemctl').length).toBe(3);
    expect(await backend.currentSystem()).toBe(NEW);
  });

  it('reports a switch that exited 0 without moving the link as a verify mismatch', async () => {
    const { systemd, backend } = setup();
    systemd.switches = false;
    const out = await activate(backend, NEW, { ...poll, checkInhibitors: true, onLaunched: noop });
    expect(out).toEqual({ kind: 'verify-mismatch', observed: OLD, exitCode: 0 });
  });

  it('reports a failed switch with its exit status and journal tail', async () => {
    const { systemd, backend } = setup();
    systemd.exit = 1;
    const out = await activate(backend, NEW, { ...poll, checkInhibitors: true, onLaunched: noop });
    expect(out).toMatchObject({ kind: 'failed', exitCode: 1 });
    expect(out.kind === 'failed' && out.stderrTail).toContain('the following units failed');
    expect(systemd.programs()).toContain('journalctl');
  });

  it('fails when the unit is still running at the end of the poll budget', async () => {
    const { systemd, backend } = setup();
    systemd.runningPolls = Number.MAX_SAFE_INTEGER;
    const out = await activate(backend, NEW, {
      ...poll,
      pollBudgetMs: 300,
      checkInhibitors: true,
      onLaunched: noop,
    });
    expect(out).toMatchObject({ kind: 'failed', exitCode: null });
    expect(out.kind === 'failed' && out.stderrTail).toMatch(/after the poll budget of 300 ms/);
  });

  it('fails without launching when nix-env cannot set the profile', async () => {
    const { systemd, backend } = setup();
    systemd.nixEnvExit = 1;
    const out = await activate(backend, NEW, { ...poll, checkInhibitors: true, onLaunched: noop });
    expect(out).toMatchObject({ kind: 'failed', exitCode: null });
    expect(out.kind === 'failed' && out.stderrTail).toMatch(/profile set failed \(exit 1\)/);
    expect(systemd.programs()).toEqual(['nix-env']);
    await expect(backend.setProfile(NEW)).rejects.toSatisfy((e) =>
      isAgentError(e, 'AGENT_ERR_ACTIVATION'),
    );
  });

  it('fails when systemd-run cannot start the unit', async () => {
    const { systemd, backend } = setup();
    systemd.systemdRunExit = 1;
    const out = await activate(backend, NEW, { ...poll, checkInhibitors: true, onLaunched: noop });
    expect(out).toMatchObject({ kind: 'failed', exitCode: null });
    expect(out.kind === 'failed' && out.stderrTail).toMatch(/systemd-run failed \(exit 1\)/);
    expect(await backend.currentSystem()).toBe(OLD);
  });

  it('resumes polling a unit launched before a restart, from its handle alone', async () => {
    const { r, systemd, backend } = setup();
    const handle = await backend.launchSwitch(NEW, Date.now());
    const restarted = createNixosBackend({ root: r, run: systemd.run });
    expect(await pollSwitch(restarted, handle, poll)).toEqual({
      kind: 'complete',
      observed: NEW,
      exitCode: 0,
    });
  });

  it('takes a unit systemd already forgot as done when the link shows the target', async () => {
    const { r, backend } = setup();
    point(r, NEW);
    const out = await pollSwitch(
      backend,
      { id: 'collected', closure: NEW, startedAt: Date.now() },
      poll,
    );
    expect(out).toEqual({ kind: 'complete', observed: NEW, exitCode: 0 });
  });
});

describe('nixos backend: switch inhibitors on real store paths', () => {
  let k1: BuiltToplevel;
  let k2: BuiltToplevel;
  let k2b: BuiltToplevel;

  beforeAll(async () => {
    const gen = `nx${process.pid}`;
    k1 = await buildToplevel({
      workDir: tmp,
      host: 'web-01',
      generation: `${gen}-k1`,
      files: { kernel: 'kernel 6.1' },
    });
    k2 = await buildToplevel({
      workDir: tmp,
      host: 'web-01',
      generation: `${gen}-k2`,
      files: { kernel: 'kernel 6.6' },
    });
    k2b = await buildToplevel({
      workDir: tmp,
      host: 'web-01',
      generation: `${gen}-k2b`,
      files: { 'etc/motd': 'same kernel as k1' },
    });
  }, 120_000);

  it('sets the profile but defers the live switch when the kernel differs', async () => {
    const { systemd, backend } = setup(k1.closureHash);
    const out = await activate(backend, k2.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: noop,
    });
    expect(out).toEqual({ kind: 'deferred', component: 'kernel' });
    expect(systemd.programs()).toEqual(['nix-env']);
    expect(await backend.currentSystem()).toBe(k1.closureHash);
  });

  it('switches live when the component is missing on one side', async () => {
    const { systemd, backend } = setup(k1.closureHash);
    const out = await activate(backend, k2b.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: noop,
    });
    expect(out).toEqual({ kind: 'complete', observed: k2b.closureHash, exitCode: 0 });
    expect(systemd.programs().slice(0, 2)).toEqual(['nix-env', 'systemd-run']);
  });
});
