// The microVM runner's plan (nix/harness/plan.nix) played on loopback, where
// there is no nixpkgs and no KVM: the fixture PKI script, a control plane and
// one agent per host started with the argv the service modules render for
// the VM nodes, the cp node's helper programs (the CI role's
// `nixfleet-harness-release`, the event reader) and every action of the
// timeline — releases, waits polled with the generated CLI|jq commands, cp
// faults, the invariants — run as the NixOS test script would run them.
// Only the node paths differ: each is mapped to a directory of the test
// (substitutions); host commands other than faults run here with the host's
// paths; the agent faults act on the agent process (SIGKILL leaves its
// detached sandbox switch running, as KillMode=process does on the VM; a
// restart is a new process, with its own log standing in for its systemd
// invocation's journal; the CP unit's faults act on the CP process the same
// way), and the other host faults (ip, date) are refused since they need a
// VM. Real processes, real TLS, real Nix store paths.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

const root = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

interface Gather {
  node: string;
  command: string;
  file: string;
}

type Action =
  | { type: 'release' | 'invariants' | 'setup'; label: string; command: string; gather?: Gather[] }
  | { type: 'wait'; label: string; command: string; timeout: number; gather: Gather[] }
  | { type: 'hostWait'; label: string; node: string; command: string; timeout: number }
  | { type: 'enroll'; label: string; host: string; mint: string; install: string; start: string }
  | { type: 'secret'; label: string; host: string; name: string; command: string; install: string }
  | { type: 'scan'; label: string; checks: { node: string; command: string }[] }
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
  enrolling: string[];
  actions: Action[];
  hostHelpers: Record<string, string>;
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

/** Stops every process of the last play and removes its directory (KEEP_TMP=1 keeps it). */
export async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(500);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  children = [];
  if (tmp && !process.env['KEEP_TMP']) rmSync(tmp, { recursive: true, force: true });
}

/** Runs a command on a node of the played plan: ok, output, stdout. */
export type Sh = (
  command: string,
  timeoutMs: number,
  node?: string,
  input?: string,
) => { ok: boolean; out: string; stdout: string };

/** Plays one scenario file; `after` runs with the daemons still up. Returns the log of what ran. */
export async function play(
  scenario: string,
  after?: (sh: Sh, secrets: readonly string[]) => void,
): Promise<string[]> {
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
    ['/etc/nixfleet-harness/org-root.key', join(root, 'nix/harness/fixtures/org-root.key')],
    // The daemons' logs stand in for the journal (the secret scan reads it);
    // one agent process's log for one systemd invocation of its unit.
    [
      'journalctl -o cat --no-pager _SYSTEMD_INVOCATION_ID="$inv"',
      `cat ${join(tmp, 'logs')}/"$inv".log`,
    ],
    [
      'systemctl show -p InvocationID --value nixfleet-agent.service',
      'cat /var/lib/nixfleet-recovery/invocation',
    ],
    ['journalctl -o cat --no-pager', `cat ${join(tmp, 'logs')}/*.log`],
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
    if (!host) return out;
    return out
      .replaceAll('/var/lib/nixfleet-agent', join(tmp, `agent-${host}`))
      .replaceAll('/var/lib/nixfleet-bootstrap', join(tmp, `bootstrap-${host}`))
      .replaceAll('/var/lib/nixfleet-recovery', join(tmp, `recovery-${host}`));
  };
  for (const d of ['pki', 'cp', 'work', 'bin', 'logs'])
    mkdirSync(join(tmp, d), { recursive: true });
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
  // Each host's programs, with that host's paths.
  for (const h of plan.hosts) {
    const dir = join(tmp, `bin-${h}`);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(plan.hostHelpers)) {
      writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${local(text, h)}`);
      chmodSync(join(dir, name), 0o755);
    }
  }
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    NIX_CONFIG: 'experimental-features = nix-command\nsandbox = false',
    NODE_NO_WARNINGS: '1',
  };
  const log: string[] = [];
  const start = (name: string, script: string, argv: string[], invocation = name): ChildProcess => {
    const child = spawn(process.execPath, [join(root, script), ...argv], { env });
    let tail = '';
    const logFile = join(tmp, 'logs', `${invocation}.log`);
    // An invocation's journal exists (empty) from its start.
    appendFileSync(logFile, '');
    const keep = (d: Buffer): void => {
      tail = (tail + d.toString()).slice(-4000);
      // Output after the test's directory is gone (a dying daemon) is dropped.
      try {
        appendFileSync(logFile, d);
      } catch {
        /* the directory is gone */
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code) => log.push(`${name} exited ${code}: ${tail}`));
    children.push(child);
    return child;
  };
  /** A command on a node: the cp node's programs, or a host's with its paths. */
  const sh = (
    command: string,
    timeoutMs: number,
    node = 'cp',
    input?: string,
  ): { ok: boolean; out: string; stdout: string } => {
    const host = node === 'cp' ? undefined : node;
    const r = spawnSync('bash', ['-c', `set -euo pipefail; ${local(command, host)}`], {
      env: host ? { ...env, PATH: `${join(tmp, `bin-${host}`)}:${env.PATH}` } : env,
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      input,
    });
    return {
      ok: r.status === 0,
      out: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-3000),
      stdout: r.stdout ?? '',
    };
  };
  // What harness_gather does: host output, through the driver, into a cp file.
  const gather = (list: Gather[] | undefined): void => {
    for (const g of list ?? []) {
      const r = sh(`${g.command} | base64 -w0`, 60_000, g.node);
      if (!r.ok) throw new Error(`gather ${g.command} on ${g.node} failed:\n${r.out}`);
      const put = sh(
        `mkdir -p "$(dirname ${g.file})" && base64 -d > ${g.file}`,
        60_000,
        'cp',
        r.stdout,
      );
      if (!put.ok) throw new Error(`gather into ${g.file} failed:\n${put.out}`);
    }
  };
  const secrets: string[] = [];
  // Each start of an agent is an invocation with its own log (the journal
  // of a systemd invocation); a killed or restarted process is retired.
  const agents = new Map<string, ChildProcess>();
  const retired = new Set<ChildProcess>();
  let invocations = 0;
  const startAgent = (h: string): void => {
    mkdirSync(join(tmp, `agent-${h}`), { recursive: true });
    mkdirSync(join(tmp, `recovery-${h}`), { recursive: true });
    const invocation = `agent-${h}-${++invocations}`;
    writeFileSync(join(tmp, `recovery-${h}`, 'invocation'), invocation);
    agents.set(
      h,
      start(
        `agent-${h}`,
        'bin/nixfleet-agent.mjs',
        (plan.agents[h] ?? []).map((a) => local(a, h)),
        invocation,
      ),
    );
  };
  const stopAgent = async (h: string, signal: NodeJS.Signals): Promise<void> => {
    const c = agents.get(h);
    if (!c) return;
    retired.add(c);
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((ok) => c.once('exit', ok));
    c.kill(signal);
    await exited;
  };
  const hostFault = async (h: string, command: string): Promise<void> => {
    if (
      command.startsWith('systemctl kill --kill-who=main --signal=SIGKILL nixfleet-agent.service')
    )
      return stopAgent(h, 'SIGKILL');
    if (command === 'systemctl restart nixfleet-agent.service') {
      await stopAgent(h, 'SIGTERM');
      return startAgent(h);
    }
    if (!command.startsWith('nixfleet-harness-')) throw new Error(`${command}: needs a VM`);
    const r = sh(command, 60_000, h);
    if (!r.ok) throw new Error(`${command} on ${h} failed:\n${r.out}`);
  };

  const startCp = (): ChildProcess =>
    start(
      'cp',
      'bin/nixfleet-control-plane.mjs',
      plan.cp.map((a) => local(a)),
    );
  let cp = startCp();
  // The CP unit's faults (wipeCpDb): each systemctl part acts on the CP
  // process, every other part (rm) runs with the cp node's paths.
  const cpFault = async (command: string): Promise<void> => {
    for (const part of command.split('; ')) {
      if (
        part.startsWith('systemctl kill --kill-who=main --signal=SIGKILL nixfleet-control-plane')
      ) {
        if (cp.exitCode === null && cp.signalCode === null) {
          const exited = new Promise((ok) => cp.once('exit', ok));
          cp.kill('SIGKILL');
          await exited;
        }
      } else if (part === 'systemctl stop nixfleet-control-plane.service') {
        continue;
      } else if (part === 'systemctl start nixfleet-control-plane.service') {
        cp = startCp();
      } else {
        const r = sh(part, 60_000);
        if (!r.ok) throw new Error(`${part} failed:\n${r.out}`);
      }
    }
  };
  // Enrolling hosts' units start once their token is on the host.
  for (const h of plan.hosts) if (!plan.enrolling.includes(h)) startAgent(h);
  // What the script's deployment part checks: the CP answers /healthz.
  const up = Date.now() + 60_000;
  while (!sh(`curl -sf --cacert /etc/nixfleet-test/ca.crt https://cp:8443/healthz`, 10_000).ok) {
    if (Date.now() > up) throw new Error(`control plane not up:\n${log.join('\n')}`);
    await sleep(500);
  }

  for (const a of plan.actions) {
    if (a.type === 'sleep') {
      await sleep(a.secs * 1000);
    } else if (a.type === 'release' || a.type === 'invariants' || a.type === 'setup') {
      gather(a.gather);
      const r = sh(a.command, 600_000);
      log.push(`${a.label}: ${r.ok ? 'ok' : 'FAILED'}`);
      if (!r.ok) throw new Error(`${a.label} failed:\n${r.out}\n${log.join('\n')}`);
    } else if (a.type === 'enroll') {
      const token = sh(a.mint, 60_000);
      if (!token.ok) throw new Error(`${a.label}: minting failed:\n${token.out}`);
      const put = sh(a.install, 60_000, a.host, token.stdout);
      if (!put.ok) throw new Error(`${a.label}: installing the token failed:\n${put.out}`);
      expect(a.start).toBe('systemctl start nixfleet-agent.service');
      startAgent(a.host);
      log.push(`${a.label}: ok`);
    } else if (a.type === 'secret') {
      const r = sh(a.command, 60_000);
      if (!r.ok) throw new Error(`${a.label} failed:\n${r.out}`);
      secrets.push(`${a.host} ${a.name} ${r.stdout.trim()}`);
      const put = sh(a.install, 60_000, a.host);
      if (!put.ok) throw new Error(`${a.label}: ${put.out}`);
      log.push(`${a.label}: ok`);
    } else if (a.type === 'scan') {
      for (const c of a.checks) {
        const r = sh(c.command, 300_000, c.node, secrets.map((x) => `${x}\n`).join(''));
        log.push(`${a.label} on ${c.node}: ${r.ok ? 'ok' : 'FAILED'}`);
        if (!r.ok) throw new Error(`${a.label} on ${c.node} failed:\n${r.out}`);
      }
    } else if (a.type === 'hostWait') {
      const deadline = Date.now() + Math.max(a.timeout, 120) * 1000;
      while (!sh(a.command, 60_000, a.node).ok) {
        if (Date.now() > deadline) throw new Error(`${a.label} timed out`);
        await sleep(200);
      }
      log.push(`${a.label}: ok`);
    } else if (a.type === 'fault') {
      for (const c of a.commands) {
        if (c.node !== 'cp') {
          await hostFault(c.node, c.command);
          continue;
        }
        if (c.command.includes('nixfleet-control-plane.service')) {
          await cpFault(c.command);
          continue;
        }
        const r = sh(c.command, 60_000);
        if (!r.ok) throw new Error(`${a.label} failed:\n${r.out}`);
      }
      log.push(`${a.label}: ok`);
    } else if (a.type === 'wait') {
      // A loaded machine: at least two minutes, like the local runner's bounds.
      const deadline = Date.now() + Math.max(a.timeout, 120) * 1000;
      gather(a.gather);
      let last = sh(a.command, 60_000);
      while (!last.ok && Date.now() < deadline) {
        await sleep(1000);
        gather(a.gather);
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
  for (const c of children)
    if (!retired.has(c)) expect(c.exitCode, `a daemon exited:\n${log.join('\n')}`).toBeNull();
  after?.(sh, secrets);
  return log;
}

const OPERATOR =
  '--cp-url https://cp:8443 --ca-cert /etc/nixfleet-test/ca.crt --client-cert /etc/nixfleet-test/operator.crt --client-key /etc/nixfleet-test/operator.key || true';
