// The shipped program: bin/nixfleet-agent.mjs (ts/agent/main.ts) as a child
// process with real argv against the real control plane. It enrolls with
// its bootstrap token, fetches and activates the release's closure in its
// sandbox and converges; SIGTERM ends it with exit 0 within 3 s — also
// while it is still retrying enrollment against a CP that is not there.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeToken } from './support/fleet.ts';
import {
  execProbe,
  freePort,
  healthChecks,
  startWorld,
  until,
  type World,
} from './support/world.ts';

const BIN = join(import.meta.dirname, '../../bin/nixfleet-agent.mjs');
let w: World;
const children: ChildProcess[] = [];

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await w?.close();
});

function argv(cpUrl: string, stateDir: string): string[] {
  return [
    BIN,
    `--control-plane-url=${cpUrl}`,
    `--machine-id=${w.host.name}`,
    `--trust-file=${w.trustFile}`,
    `--ca-cert=${w.t.pki.caCertFile}`,
    `--ssh-host-key-file=${w.host.keyFile}`,
    `--bootstrap-token-file=${w.tokenFile}`,
    `--state-dir=${stateDir}`,
    '--activation-backend=sandbox',
    `--cache-url=${w.cache.url}`,
    '--poll-interval=200ms',
    '--long-poll-timeout=2s',
    '--heartbeat-interval=300ms',
    '--activation-poll-interval=50ms',
    '--tick-interval=100ms',
    '--backoff-base=50ms',
    '--backoff-max=500ms',
    '--request-timeout=5s',
    `--log-level=${process.env['AGENT_TEST_LOG'] ?? 'info'}`,
  ];
}

/** Spawns the agent; collects its JSON log lines. */
function spawnAgent(args: string[]): {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: string[] = [];
  let buf = '';
  const collect = (chunk: Buffer): void => {
    buf += chunk.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exit };
}

/** SIGTERM ends the agent with exit 0 within 3 s (a supervisor's stop must not hang). */
async function expectPromptStop(a: ReturnType<typeof spawnAgent>): Promise<void> {
  const signalled = Date.now();
  a.child.kill('SIGTERM');
  expect(await a.exit).toBe(0);
  const ms = Date.now() - signalled;
  expect(ms, `exited ${ms} ms after SIGTERM`).toBeLessThan(3_000);
}

const logged = (lines: readonly string[], msg: string): boolean =>
  lines.some((l) => l.includes(`"msg":"${msg}"`));

describe('bin/nixfleet-agent.mjs against the real CP', () => {
  it('enrolls, converges, and exits 0 on SIGTERM', async () => {
    const gen2 = await w.build({
      generation: '2',
      files: {
        'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe('/bin/true')),
      },
    });
    await w.push(gen2);
    const rid = await w.publish(2, gen2);
    const a = spawnAgent(argv(`https://127.0.0.1:${w.port}`, w.stateDir));
    await until(() => w.record(rid)?.state === 'Converged', 90_000);
    expect(logged(a.lines, 'enrolled')).toBe(true);
    expect(w.record(rid)?.currentClosureAtDispatch).toBe(w.gen1.closureHash);
    await expectPromptStop(a);
  }, 120_000);

  it('a refused enrollment: the agent says which command fixes it and backs off; the CP shows the refusal on the host row', async () => {
    const stray = 'fedcba9876543210fedcba9876543210';
    mkdirSync(join(w.work, 'stray'), { recursive: true });
    const tokenFile = writeToken(join(w.work, 'stray'), w.t.trust, w.host, stray);
    const args = argv(`https://127.0.0.1:${w.port}`, join(w.work, 'state-refused')).map((a) =>
      a.startsWith('--bootstrap-token-file=') ? `--bootstrap-token-file=${tokenFile}` : a,
    );
    const a = spawnAgent(args);
    const refusals = (): Record<string, unknown>[] =>
      a.lines
        .filter((l) => l.includes('"msg":"enrollment refused"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await until(() => refusals().length >= 3, 30_000);
    const [first, , third] = refusals();
    expect(first).toMatchObject({ cpCode: 'CP_ERR_NONCE_NOT_ALLOWED' });
    expect(String(first?.['fix'])).toContain('bootstrapNonces');
    expect(String(first?.['fix'])).toContain('nixfleet release');
    expect(Number(third?.['retryInMs'])).toBeGreaterThan(Number(first?.['retryInMs']));
    const op = await w.t.client('operator:test');
    const hosts = (await op.request('/v1/hosts')).json<{
      hosts: { hostname: string; enrollRefusal?: { code: string; count: number } | null }[];
    }>();
    const row = hosts.hosts.find((h) => h.hostname === w.host.name);
    expect(row?.enrollRefusal?.code).toBe('CP_ERR_NONCE_NOT_ALLOWED');
    expect(row?.enrollRefusal?.count).toBeGreaterThanOrEqual(3);
    await expectPromptStop(a);
  }, 60_000);

  it('exits 0 on SIGTERM while still retrying enrollment', async () => {
    const nobody = await freePort();
    const a = spawnAgent(argv(`https://127.0.0.1:${nobody}`, join(w.work, 'state-unenrolled')));
    await until(() => logged(a.lines, 'enrollment: control plane not ready; retrying'), 30_000);
    await expectPromptStop(a);
  }, 60_000);
});
