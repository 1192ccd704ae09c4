// `nixfleet init` through the real CLI: the fleet directory it writes
// evaluates with mkFleet (and passes the release's fleet checks), its
// trust.json follows the contract, the real control plane starts on its
// trust.json, CA and server certificate and answers the operator
// certificate through the written CLI config. A second init refuses;
// --force replaces every file and refuses files it did not make.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract } from '../../ts/contracts/index.ts';
import { LAYOUT } from '../../ts/cli/init/templates.ts';
import {
  createControlPlane,
  parseConfig,
  silentLogger,
  type ControlPlane,
} from '../../ts/cp/index.ts';
import { NIXFLEET_BIN } from './support/cli-kit.ts';
import { runOp } from './support/run.ts';

process.env['NIX_CONFIG'] ??= 'experimental-features = nix-command\nsandbox = false';
const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const root = mkdtempSync(join(tmpdir(), 'nixfleet-init-'));
const dir = join(root, 'acme');
const at = (f: string): string => join(dir, f);
const env = { HOME: root };
const cps: ControlPlane[] = [];
const PRIVATE = [
  LAYOUT.orgRootKey,
  LAYOUT.ciReleaseKey,
  LAYOUT.cacheSecretKey,
  LAYOUT.caKey,
  LAYOUT.serverKey,
  LAYOUT.operatorKey,
];
const snapshot = (): Record<string, string> =>
  Object.fromEntries(Object.values(LAYOUT).map((f) => [f, readFileSync(at(f), 'utf8')]));

let first: Awaited<ReturnType<typeof runOp>>;
beforeAll(async () => {
  first = await runOp(
    ['init', 'acme', '--operator', 'alice', '--cp-url', 'https://localhost:8443'],
    {
      env,
      cwd: root,
      now: new Date(),
    },
  );
}, 60_000);
afterAll(async () => {
  for (const cp of cps) await cp.stop();
  rmSync(root, { recursive: true, force: true });
});

function nixJson(args: string[]): unknown {
  const r = spawnSync('nix-instantiate', ['--eval', '--strict', '--json', ...args], {
    encoding: 'utf8',
    cwd: dir,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('nixfleet init', () => {
  it('writes the fleet directory, private keys 0600 and ignored, and prints three commands', () => {
    expect(first.stderr).toContain('3 hosts (web-01, web-02, web-03), operator alice');
    expect(first.code).toBe(0);
    for (const f of Object.values(LAYOUT)) expect(existsSync(at(f)), f).toBe(true);
    const ignored = readFileSync(at('.gitignore'), 'utf8').split('\n');
    for (const f of PRIVATE) {
      expect(statSync(at(f)).mode & 0o777, f).toBe(0o600);
      expect(ignored, f).toContain(f);
    }
    const commands = first.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(commands).toHaveLength(3);
    expect(commands[0]).toMatch(/^nixfleet release --fleet-file fleet.nix/);
    expect(commands[1]).toMatch(/^nixfleet-control-plane serve /);
    expect(commands[2]).toBe(`NIXFLEET_CONFIG=${at(LAYOUT.config)} nixfleet status`);
  });

  it('fleet.nix evaluates with mkFleet and passes the release checks; trust.json follows its contract', () => {
    const resolved = nixJson(['-E', `import ./fleet.nix (import ${REPO}/lib)`, '-A', 'resolved']);
    const valid = validateContract('fleet-resolved', resolved);
    expect(valid.ok).toBe(true);
    expect(Object.keys((resolved as { hosts: object }).hosts)).toEqual([
      'web-01',
      'web-02',
      'web-03',
    ]);
    const summary = nixJson([
      `${REPO}/lib/release/eval.nix`,
      '--argstr',
      'fleetFile',
      at('fleet.nix'),
      '-A',
      'summary',
    ]) as {
      blocked: boolean;
      diagnostics: unknown[];
      healthChecks: Record<string, { probes: Record<string, { mode: string }> }>;
    };
    expect(summary.blocked).toBe(false);
    expect(summary.diagnostics).toEqual([]);
    expect(summary.healthChecks['web-02']?.probes['system-running']?.mode).toBe('enforce');
    expect(
      validateContract('trust-json', JSON.parse(readFileSync(at('trust.json'), 'utf8'))).ok,
    ).toBe(true);
  });

  it('the real CP starts on the generated files and knows the operator through the config', async () => {
    const cp = await createControlPlane(
      parseConfig({
        listen: '127.0.0.1:0',
        tlsCert: at(LAYOUT.serverCert),
        tlsKey: at(LAYOUT.serverKey),
        fleetCaCert: at(LAYOUT.caCert),
        fleetCaKey: at(LAYOUT.caKey),
        trustFile: at(LAYOUT.trust),
        db: join(root, 'state', 'cp.db'),
        releaseDir: join(root, 'releases'),
        shutdownDeadlineSecs: '2',
      }),
      { log: silentLogger() },
    );
    cps.push(cp);
    const { port } = await cp.start();
    const w = await runOp(['whoami', '--cp-url', `https://localhost:${port}`], {
      env: { ...env, NIXFLEET_CONFIG: at(LAYOUT.config) },
      now: new Date(),
    });
    expect(w.stderr).toBe('');
    expect(w.stdout).toContain('operator:alice (operator)');
    expect(w.code).toBe(0);
    // The third printed command, run as a process from the fleet directory
    // (outside this repository): the views render, no internal error.
    // spawn, not spawnSync: the CP answers from this process's event loop.
    const child = spawn(
      process.execPath,
      [NIXFLEET_BIN, 'status', '--cp-url', `https://localhost:${port}`],
      {
        cwd: dir,
        env: { ...process.env, NIXFLEET_CONFIG: at(LAYOUT.config) },
      },
    );
    const status = { stdout: '', stderr: '', status: -1 };
    child.stdout.on('data', (c: Buffer) => (status.stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (status.stderr += c.toString()));
    status.status = await new Promise<number>((resolve) =>
      child.on('close', (c) => resolve(c ?? -1)),
    );
    expect(status.stderr).not.toContain('internal error');
    expect(status.stdout).toContain(`NixFleet https://localhost:${port}`);
    expect(status.status).toBe(1); // no hosts yet: needs attention
  });

  it('init on an existing fleet directory refuses and changes nothing', async () => {
    const before = snapshot();
    const r = await runOp(['init', dir], { env, now: new Date() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_ERR_EXISTS');
    expect(snapshot()).toEqual(before);
  });

  it('--force replaces every file, and refuses files in keys/ or pki/ it did not make', async () => {
    const before = snapshot();
    writeFileSync(at('pki/old-operator.pem'), 'stale');
    const refused = await runOp(['init', dir, '--force'], { env, now: new Date() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('old-operator.pem: not made by nixfleet init');
    expect(snapshot()).toEqual(before);
    rmSync(at('pki/old-operator.pem'));
    mkdirSync(at('other'), { recursive: true });
    writeFileSync(at('other/notes.txt'), 'mine');
    const r = await runOp(['init', dir, '--force', '--operator', 'bob', '--hosts', 'db-01,db-02'], {
      env,
      now: new Date(),
    });
    expect(r.stderr).toContain('2 hosts (db-01, db-02), operator bob');
    expect(r.code).toBe(0);
    const after = snapshot();
    for (const f of Object.values(LAYOUT)) {
      // .gitignore and the config (same paths) are the same text by design.
      if (f !== LAYOUT.gitignore && f !== LAYOUT.config) expect(after[f], f).not.toBe(before[f]);
    }
    expect(after[LAYOUT.fleet]).not.toContain('web-01');
    for (const f of PRIVATE) expect(statSync(at(f)).mode & 0o777, f).toBe(0o600);
    expect(readFileSync(at('other/notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses bad host names and a non-https CP URL before writing anything', async () => {
    const r = await runOp(['init', 'x', '--hosts', 'Web_01'], { env, cwd: root, now: new Date() });
    expect(r.code).toBe(2);
    const u = await runOp(['init', 'x', '--cp-url', 'http://cp:80'], {
      env,
      cwd: root,
      now: new Date(),
    });
    expect(u.code).toBe(2);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });
});
