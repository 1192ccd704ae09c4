// The microVM runner's plan (lib/harness/plan.nix) played on loopback, where
// there is no nixpkgs and no KVM: the fixture PKI script, a control plane and
// one agent per host started with the argv the service modules render for
// the VM nodes, the cp node's helper programs (the CI role's
// `nixfleet-harness-release`, the event reader) and every action of the
// timeline — releases, waits polled with the generated CLI|jq commands, cp
// faults, the invariants — run as the NixOS test script would run them.
// Only the node paths differ: each is mapped to a directory of this test
// (SUBSTITUTIONS), and host faults (systemctl, ip, date) are refused since
// they need a VM. Real processes, real TLS, real Nix store paths.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

type Action =
  | { type: 'release'; label: string; command: string }
  | { type: 'invariants'; label: string; command: string }
  | { type: 'wait'; label: string; command: string; timeout: number }
  | {
      type: 'fault';
      label: string;
      commands: { node: string; command: string }[];
      cpRestarted: boolean;
    }
  | { type: 'sleep'; secs: number };

interface Played {
  name: string;
  hosts: string[];
  actions: Action[];
  cp: string[];
  agents: Record<string, string[]>;
  trustJson: unknown;
  helpers: Record<string, string>;
  pki: string;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let children: ChildProcess[] = [];
let tmp = '';

afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(500);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children = [];
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Plays one scenario file; returns the log of what ran. */
async function play(scenario: string): Promise<string[]> {
  const file = join(root, 'tests/harness/scenarios', `${scenario}.nix`);
  const plan = JSON.parse(
    execFileSync(
      'nix-instantiate',
      [
        '--eval',
        '--strict',
        '--json',
        join(root, 'tests/modules/microvm-loopback.nix'),
        '--argstr',
        'scenario',
        file,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    ),
  ) as Played;
  tmp = mkdtempSync(join(tmpdir(), `nixfleet-microvm-${plan.name}-`));
  const port = await freePort();
  // Node paths of the VMs → this test's directories.
  const substitutions: [string, string][] = [
    ['/etc/nixfleet-test', join(tmp, 'pki')],
    ['/etc/nixfleet-harness/src', root],
    ['/etc/nixfleet-harness/scenario.nix', file],
    ['/etc/nixfleet-harness/ci-release.key', join(root, 'nix/harness/fixtures/ci-release.key')],
    ['/etc/nixfleet-harness/cache.secret', join(root, 'nix/harness/fixtures/cache.secret')],
    ['/var/lib/nixfleet-harness', join(tmp, 'work')],
    ['/var/lib/nixfleet-cp', join(tmp, 'cp')],
    ['/etc/nixfleet/cp/trust.json', join(tmp, 'trust.json')],
    ['/etc/nixfleet/agent/trust.json', join(tmp, 'trust.json')],
    ['http://cp:5000', `file://${join(tmp, 'work/cache')}`],
    ['https://cp:8443', `https://127.0.0.1:${port}`],
    ['0.0.0.0:8443', `127.0.0.1:${port}`],
  ];
  const local = (s: string, host?: string): string => {
    let out = s;
    for (const [from, to] of substitutions) out = out.replaceAll(from, to);
    return host ? out.replaceAll('/var/lib/nixfleet-agent', join(tmp, `agent-${host}`)) : out;
  };
  for (const d of ['pki', 'cp', 'work', 'bin']) mkdirSync(join(tmp, d), { recursive: true });
  execFileSync('bash', ['-c', plan.pki], { cwd: join(tmp, 'pki'), stdio: 'ignore' });
  writeFileSync(join(tmp, 'trust.json'), JSON.stringify(plan.trustJson));
  // The cp node's programs: the CLI and the helpers, with local paths.
  const bin = join(tmp, 'bin');
  writeFileSync(
    join(bin, 'nixfleet'),
    `#!/bin/sh\nexec ${process.execPath} ${join(root, 'bin/nixfleet.mjs')} "$@"\n`,
  );
  for (const [name, text] of Object.entries(plan.helpers))
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${local(text)}`);
  for (const name of ['nixfleet', ...Object.keys(plan.helpers)]) chmodSync(join(bin, name), 0o755);
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    NIX_CONFIG: 'experimental-features = nix-command\nsandbox = false',
    NODE_NO_WARNINGS: '1',
  };
  const log: string[] = [];
  const start = (name: string, script: string, argv: string[]): void => {
    const child = spawn(process.execPath, [join(root, script), ...argv], { env });
    let tail = '';
    const keep = (d: Buffer): void => {
      tail = (tail + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code) => log.push(`${name} exited ${code}: ${tail}`));
    children.push(child);
  };
  const sh = (command: string, timeoutMs: number): { ok: boolean; out: string } => {
    const r = spawnSync('bash', ['-c', `set -euo pipefail; ${local(command)}`], {
      env,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-3000) };
  };

  start(
    'cp',
    'bin/nixfleet-control-plane.mjs',
    plan.cp.map((a) => local(a)),
  );
  for (const h of plan.hosts) {
    mkdirSync(join(tmp, `agent-${h}`), { recursive: true });
    start(
      `agent-${h}`,
      'bin/nixfleet-agent.mjs',
      (plan.agents[h] ?? []).map((a) => local(a, h)),
    );
  }
  // What the script's deployment part checks: the CP answers /healthz.
  const up = Date.now() + 60_000;
  while (!sh(`curl -sf --cacert /etc/nixfleet-test/ca.crt https://cp:8443/healthz`, 10_000).ok) {
    if (Date.now() > up) throw new Error(`control plane not up:\n${log.join('\n')}`);
    await sleep(500);
  }

  for (const a of plan.actions) {
    if (a.type === 'sleep') {
      await sleep(a.secs * 1000);
    } else if (a.type === 'release' || a.type === 'invariants') {
      const r = sh(a.command, 600_000);
      log.push(`${a.label}: ${r.ok ? 'ok' : 'FAILED'}`);
      if (!r.ok) throw new Error(`${a.label} failed:\n${r.out}\n${log.join('\n')}`);
    } else if (a.type === 'fault') {
      for (const c of a.commands) {
        if (c.node !== 'cp') throw new Error(`${a.label}: host faults need a VM`);
        const r = sh(c.command, 60_000);
        if (!r.ok) throw new Error(`${a.label} failed:\n${r.out}`);
      }
      log.push(`${a.label}: ok`);
    } else {
      // A loaded machine: at least two minutes, like the local runner's bounds.
      const deadline = Date.now() + Math.max(a.timeout, 120) * 1000;
      let last = sh(a.command, 60_000);
      while (!last.ok && Date.now() < deadline) {
        await sleep(1000);
        last = sh(a.command, 60_000);
      }
      log.push(`${a.label}: ${last.ok ? 'ok' : 'TIMED OUT'}`);
      if (!last.ok) {
        const status = sh('nixfleet status ' + OPERATOR, 30_000).out;
        const events = sh('nixfleet-harness-events | tail -n 8', 120_000).out;
        throw new Error(
          `${a.label} timed out:\n${last.out}\n${status}\n${events}\n${log.join('\n')}`,
        );
      }
    }
  }
  for (const c of children) expect(c.exitCode, `a daemon exited:\n${log.join('\n')}`).toBeNull();
  return log;
}

const OPERATOR =
  '--cp-url https://cp:8443 --ca-cert /etc/nixfleet-test/ca.crt --client-cert /etc/nixfleet-test/operator.crt --client-key /etc/nixfleet-test/operator.key || true';

describe('the microVM runner plan, played on loopback', () => {
  it('smoke: release by the CI helper, agents with module-rendered argv converge', async () => {
    const log = await play('smoke');
    expect(log).toContain('step 0: release g1: ok');
    expect(log.filter((l) => l.endsWith(': ok')).length).toBe(3);
  }, 600_000);

  it('corruption-rejection: unsigned push refused, tampered fleet.resolved alerts', async () => {
    const log = await play('corruption-rejection');
    expect(log.some((l) => l.includes('agentRejected') && l.endsWith(': ok'))).toBe(true);
    expect(log.some((l) => l.includes('cpAlert') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);

  it('stale-target: a release signed 3 h ago (the helper passes --now) is refused', async () => {
    const log = await play('stale-target');
    expect(log.some((l) => l.includes('TRUST_ERR_STALE') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);

  it('budget: two channels at once, budgetsRespected over the CP event log holds', async () => {
    const log = await play('budget');
    expect(log).toContain('invariants: ok');
  }, 600_000);

  it('rollback-policy: the failing probe of the closure reverts the canary; invariants hold', async () => {
    const log = await play('rollback-policy');
    expect(log).toContain('invariants: ok');
    expect(log.some((l) => l.includes('hostQuarantined') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);
});
