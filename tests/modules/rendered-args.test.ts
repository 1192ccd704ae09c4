// The NixOS modules' rendered command lines, fed to the real programs: every
// argv lib/render produces (tests/modules/rendered.nix evaluates the
// modules' own option declarations) must be accepted by the agent's and the
// control plane's flag parsers, and an agent and a control plane started
// with rendered arguments (and the rendered trust.json) must come up.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../ts/agent/config/config.ts';
import { FLAGS as AGENT_FLAGS } from '../../ts/agent/config/flags.ts';
import { FLAGS, parseConfig, strictViolations } from '../../ts/cp/config.ts';
import { runInProcess } from '../cli/support/cli-kit.ts';

const root = new URL('../../', import.meta.url).pathname;

interface Rendered {
  readonly argv: {
    readonly agent: Readonly<Record<string, string[]>>;
    readonly cp: Readonly<Record<string, string[]>>;
  };
  readonly trustJson: unknown;
  readonly runnable: { readonly agent: string[]; readonly cp: string[] };
  readonly harness: readonly {
    readonly name: string;
    readonly agents: Readonly<Record<string, string[]>>;
    readonly cp: string[];
    readonly cli: string[][];
  }[];
}

let tmp = '';
let rendered: Rendered;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nixfleet-rendered-'));
  const out = execFileSync(
    'nix-instantiate',
    [
      '--eval',
      '--strict',
      '--json',
      join(root, 'tests/modules/rendered.nix'),
      '--argstr',
      'tmp',
      tmp,
    ],
    { encoding: 'utf8' },
  );
  rendered = JSON.parse(out) as Rendered;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** argv → commander option values, exactly as ts/agent/main.ts registers them. */
function parseAgentArgv(argv: readonly string[]): Record<string, unknown> {
  const program = new Command('nixfleet-agent').exitOverride().allowExcessArguments(false);
  for (const spec of AGENT_FLAGS) program.addOption(new Option(spec.flag));
  program.parse([...argv], { from: 'user' });
  return program.opts();
}

/** argv of `serve` → option values, exactly as ts/cp/main.ts registers them. */
function parseCpArgv(argv: readonly string[]): Record<string, unknown> {
  let opts: Record<string, unknown> = {};
  const program = new Command('nixfleet-control-plane').exitOverride();
  const serve = program.command('serve').exitOverride();
  for (const spec of FLAGS) {
    const opt = new Option(spec.flag, spec.description);
    if (spec.default !== undefined) opt.default(spec.default);
    serve.addOption(opt);
  }
  serve.action((o: Record<string, unknown>) => {
    opts = o;
  });
  program.parse([...argv], { from: 'user' });
  return opts;
}

describe('agent flags rendered by services.nixfleet-agent', () => {
  it.each(['minimal', 'full', 'sandbox'])('sample %s is accepted by parseAgentConfig', (name) => {
    const argv = rendered.argv.agent[name] as string[];
    const config = parseAgentConfig(parseAgentArgv(argv) as never, {});
    expect(config.trustFile).toBe('/etc/nixfleet/agent/trust.json');
    // The sandbox backend reads the running closure's probe file itself.
    expect(config.healthChecksConfig).toBe(
      name === 'sandbox' ? null : '/etc/nixfleet/agent/health-checks.json',
    );
  });

  it('carries every value of the full sample through', () => {
    const config = parseAgentConfig(
      parseAgentArgv(rendered.argv.agent['full'] as string[]) as never,
      {},
    );
    expect(config).toMatchObject({
      controlPlaneUrl: 'https://cp.example.com:8443',
      machineId: 'db-01.paris',
      caCert: '/etc/nixfleet/fleet-ca.pem',
      clientCert: '/run/agenix/db-01-cert',
      clientKey: '/run/agenix/db-01-key',
      bootstrapTokenFile: '/var/lib/nixfleet/bootstrap-token-db-01.json',
      stateDir: '/persist/nixfleet-agent',
      sshHostKeyFile: '/persist/etc/ssh/ssh_host_ed25519_key',
      activationBackend: 'nixos',
      cacheUrls: ['https://cache.example.com', 'file:///srv/cache'],
      logLevel: 'debug',
    });
    expect(config.timings.pollIntervalMs).toBe(15_000);
    expect(config.timings.heartbeatIntervalMs).toBe(30_000);
  });

  it('a flag the agent does not know is refused (the check has teeth)', () => {
    expect(() =>
      parseAgentArgv(['--control-plane-url', 'https://cp', '--no-such-flag', 'x']),
    ).toThrow(/unknown option/);
  });
});

describe('control-plane flags rendered by services.nixfleet-control-plane', () => {
  it.each(['minimal', 'strict', 'releaseDir', 'notify'])(
    'sample %s is accepted by parseConfig',
    (name) => {
      const argv = rendered.argv.cp[name] as string[];
      expect(argv[0]).toBe('serve');
      const config = parseConfig(parseCpArgv(argv));
      expect(config.trustFile).toBe('/etc/nixfleet/cp/trust.json');
    },
  );

  it('the strict sample satisfies --strict on the binary side', () => {
    const config = parseConfig(parseCpArgv(rendered.argv.cp['strict'] as string[]));
    expect(config.strict).toBe(true);
    expect(strictViolations(config)).toEqual([]);
    expect(config).toMatchObject({
      host: '::',
      port: 8443,
      artifactUrl: 'https://git.example.com/ops/fleet/raw/branch/main/releases/',
      artifactTokenFile: '/run/agenix/forge-token',
      fleetCaKey: '/run/agenix/fleet-ca-key',
      artifactFreshnessMs: 2880 * 60_000,
      certValidityMs: 7 * 86_400_000,
    });
    expect(config.timings.confirmWindowMs).toBe(600_000);
    expect(config.timings.reconcileIntervalMs).toBe(10_000);
  });

  it('the notification options become the sinks and the delivery policy', () => {
    const config = parseConfig(parseCpArgv(rendered.argv.cp['notify'] as string[]));
    expect(config.notify).toMatchObject({
      nats: {
        url: 'nats://nats-01:4222',
        subjectPrefix: 'nixfleet.events',
        nkeySeedFile: '/run/agenix/nats-cp.nk',
      },
      matrix: { room: '!fleetops:example.org', tokenFile: '/run/agenix/matrix-cp-token' },
      webhook: { secretFile: '/run/agenix/nixfleet-webhook-secret' },
      heldAfterMs: 45 * 60_000,
      maxAttempts: 12,
    });
    expect(parseConfig(parseCpArgv(rendered.argv.cp['minimal'] as string[])).notify).toMatchObject({
      nats: null,
      matrix: null,
      webhook: null,
      heldAfterMs: 30 * 60_000,
      maxAttempts: 12,
    });
  });

  it('the defaults match the module defaults', () => {
    const config = parseConfig(parseCpArgv(rendered.argv.cp['minimal'] as string[]));
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8443,
      dbPath: '/var/lib/nixfleet-cp/state.db',
      issuanceLog: '/var/lib/nixfleet-cp/issuance.log',
      strict: false,
      artifactFreshnessMs: 10080 * 60_000,
    });
  });
});

describe('nodes of the microVM runner (nix/harness/plan.nix)', () => {
  it('renders nodes for every shipped scenario', () => {
    expect(rendered.harness.map((h) => h.name)).toContain('smoke');
    expect(rendered.harness.map((h) => h.name)).toContain('all-kinds');
  });

  it('every agent argv is accepted by parseAgentConfig, with the shrunk timings', () => {
    for (const h of rendered.harness) {
      for (const [host, argv] of Object.entries(h.agents)) {
        const config = parseAgentConfig(parseAgentArgv(argv) as never, {});
        expect(config, `${h.name}/${host}`).toMatchObject({
          machineId: host,
          activationBackend: 'sandbox',
          controlPlaneUrl: 'https://cp:8443',
          cacheUrls: ['http://cp:5000'],
        });
        expect(config.timings.pollIntervalMs).toBe(1_000);
      }
    }
  });

  it('every control-plane argv is accepted by parseConfig', () => {
    for (const h of rendered.harness) {
      const config = parseConfig(parseCpArgv(h.cp));
      expect(config, h.name).toMatchObject({
        port: 8443,
        dbPath: '/var/lib/nixfleet-cp/state.db',
      });
      expect(config.timings.reconcileIntervalMs, h.name).toBeGreaterThan(0);
    }
  });

  it('every operator command of the test script is accepted by the CLI', async () => {
    // The fixture PKI paths of the VMs, here as real files, and a closed
    // port: a usage or file error is exit 2, an unreachable CP exit 3.
    const pki = join(tmp, 'harness-pki');
    mkdirSync(pki, { recursive: true });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(pki, 'operator.key'),
        '-out',
        join(pki, 'operator.crt'),
        '-subj',
        '/CN=operator',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(join(pki, 'ca.crt'), readFileSync(join(pki, 'operator.crt')));
    const commands = rendered.harness.flatMap((h) => h.cli);
    expect(commands.length).toBeGreaterThan(0);
    for (const argv of commands) {
      const local = argv.map((a) =>
        a.replace('/etc/nixfleet-test', pki).replace('https://cp:8443', 'https://127.0.0.1:9'),
      );
      const r = await runInProcess(local);
      expect(r.code, `${argv.join(' ')}\n${r.stderr}`).toBe(3);
    }
  }, 60_000);
});

/** Starts a program, resolves with its output once `ready` matches or it exits. */
function runUntil(
  script: string,
  args: readonly string[],
  ready: (out: string) => boolean,
  timeoutMs: number,
): Promise<{ exited: number | null; out: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let out = '';
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve(code);
    }),
  );
  const stop = async (): Promise<number | null> => {
    if (exited === undefined) child.kill('SIGTERM');
    return exit;
  };
  return new Promise((resolve) => {
    const done = (): void => resolve({ exited: exited ?? null, out, stop });
    const timer = setTimeout(done, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready(out)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exit.then(() => {
      clearTimeout(timer);
      done();
    });
  });
}

describe('programs started with rendered arguments', () => {
  it('the agent starts with rendered argv and trust.json and keeps running', async () => {
    mkdirSync(join(tmp, 'agent/state'), { recursive: true });
    writeFileSync(join(tmp, 'agent/trust.json'), JSON.stringify(rendered.trustJson));
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(tmp, 'agent/ssh_host_ed25519_key'),
    ]);
    // A well-formed token; enrollment against the unreachable control plane
    // is retried, so the agent must stay up.
    const now = Date.now();
    writeFileSync(
      join(tmp, 'agent/bootstrap-token.json'),
      JSON.stringify({
        version: 1,
        claims: {
          hostname: 'web-01',
          expectedPubkeyFingerprint: Buffer.alloc(32, 1).toString('base64'),
          issuedAt: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
          expiresAt: new Date(now + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          nonce: '0123456789abcdef0123456789abcdef',
        },
        signature: Buffer.alloc(64, 2).toString('base64'),
      }),
    );
    const run = await runUntil(
      'bin/nixfleet-agent.mjs',
      rendered.runnable.agent,
      () => false,
      4_000,
    );
    expect(run.out).not.toMatch(
      /AGENT_ERR_CONFIG|AGENT_ERR_TRUST|AGENT_ERR_HOST_KEY|unknown option/,
    );
    expect(run.exited, run.out).toBeNull();
    // Exit 2 is the agent's configuration/trust/host-key failure.
    expect(await run.stop()).not.toBe(2);
  }, 30_000);

  it('the control plane serves with rendered argv and trust.json', async () => {
    mkdirSync(join(tmp, 'cp/releases'), { recursive: true });
    writeFileSync(join(tmp, 'cp/trust.json'), JSON.stringify(rendered.trustJson));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(tmp, 'cp/tls.key'),
        '-out',
        join(tmp, 'cp/tls.crt'),
        '-subj',
        '/CN=cp',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const run = await runUntil(
      'bin/nixfleet-control-plane.mjs',
      rendered.runnable.cp,
      (out) => out.includes('control plane listening'),
      20_000,
    );
    expect(run.out).toContain('control plane listening');
    expect(run.exited, run.out).toBeNull();
    expect(await run.stop()).toBe(0);
  }, 40_000);
});
