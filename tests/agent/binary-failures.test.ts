// The agent binary fails loudly at start: a missing flag or a file the
// configuration names that does not exist exits 2, a file that is there but
// cannot be read exits 1 — promptly, with one plain stderr line naming the
// code, the file and what to change. (Enrollment refusals and an unreachable
// CP are not exit reasons; binary.test.ts covers those.) An unusable
// durable snapshot stops it too, and stays in place: starting fresh would
// drop the host's quarantine, deferral and rollback protection.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTrust, type TestTrust } from '../cp/kit/release.ts';
import { makeHost } from './support/fleet.ts';

const BIN = resolve(import.meta.dirname, '../../bin/nixfleet-agent.mjs');
/** Allowed on top of the measured start-up cost of the program (tsx, imports). */
const EXIT_BOUND_MS = 2_000;
/** Slack for a loaded test machine. */
const MARGIN_MS = 1_500;
const GIVE_UP_MS = 20_000;

let dir: string;
let trust: TestTrust;

interface Outcome {
  readonly code: number | null;
  readonly ms: number;
  readonly stderr: string;
  readonly stdout: string;
}

function runAgent(args: readonly string[]): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const giveUp = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  return new Promise((done) =>
    child.on('exit', (code) => {
      clearTimeout(giveUp);
      done({ code, ms: Date.now() - started, stderr, stdout });
    }),
  );
}

function args(overrides: Record<string, string | null>): string[] {
  const base: Record<string, string | null> = {
    'control-plane-url': 'https://127.0.0.1:1',
    'machine-id': 'web-01',
    'trust-file': trust.trustFile,
    'state-dir': join(dir, 'state'),
    'ssh-host-key-file': join(dir, 'no-such-host-key'),
    'activation-backend': 'sandbox',
    ...overrides,
  };
  return Object.entries(base)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `--${k}=${v}`);
}

function plainLines(o: Outcome): string[] {
  return o.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

/**
 * The start-up cost (tsx, imports) varies with the machine's load, so it is
 * measured right before each case: `--help` exits as soon as it is loaded.
 */
async function startupMs(): Promise<number> {
  return (await runAgent(['--help'])).ms;
}

async function expectPrompt(o: Outcome, baselineMs: number): Promise<void> {
  // Twice the baseline: the failing run loads more modules than `--help`.
  const bound = 2 * Math.max(baselineMs, await startupMs()) + EXIT_BOUND_MS + MARGIN_MS;
  expect(o.ms, `exited after ${o.ms} ms (start-up ${baselineMs} ms)`).toBeLessThan(bound);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-agent-fail-'));
  trust = makeTrust(dir);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/nixfleet-agent.mjs fails loudly at start', () => {
  it('a missing --control-plane-url: exit 2, one line naming the flag', async () => {
    const baseline = await startupMs();
    const o = await runAgent(args({ 'control-plane-url': null }));
    expect(o.code, o.stderr).toBe(2);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^nixfleet-agent: AGENT_ERR_CONFIG: .*--control-plane-url/);
  });

  it('a host key file that does not exist: exit 2, the line says which flag to fix', async () => {
    const missing = join(dir, 'no-such-host-key');
    const baseline = await startupMs();
    const o = await runAgent(args({ 'ssh-host-key-file': missing }));
    expect(o.code, o.stderr).toBe(2);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toContain('AGENT_ERR_HOST_KEY');
    expect(lines[0]).toContain(`${missing} does not exist`);
    expect(lines[0]).toContain('--ssh-host-key-file');
  });

  it('a host key that cannot be read: exit 1 (start failure), the line names the file', async () => {
    const unreadable = join(dir, 'host-key-is-a-directory');
    mkdirSync(unreadable);
    const baseline = await startupMs();
    const o = await runAgent(args({ 'ssh-host-key-file': unreadable }));
    expect(o.code, o.stderr).toBe(1);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toContain('AGENT_ERR_START_FAILED');
    expect(lines[0]).toContain(`${unreadable} cannot be read`);
  });

  it('a trust file that does not exist: exit 2, the line says which flag to fix', async () => {
    const missing = join(dir, 'no-such-trust.json');
    const baseline = await startupMs();
    const o = await runAgent(args({ 'trust-file': missing }));
    expect(o.code, o.stderr).toBe(2);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toContain('AGENT_ERR_TRUST');
    expect(lines[0]).toContain('--trust-file');
  });

  it('a corrupt agent-state.json: exit 1, the line names the file and the way out; the file stays', async () => {
    const host = makeHost(join(dir, 'keys'), 'web-01');
    const stateDir = join(dir, 'corrupt-state');
    mkdirSync(stateDir, { recursive: true });
    const snapshot = join(stateDir, 'agent-state.json');
    writeFileSync(snapshot, '{"schemaVersion": 2, "record": [tru');
    const baseline = await startupMs();
    const o = await runAgent(args({ 'ssh-host-key-file': host.keyFile, 'state-dir': stateDir }));
    expect(o.code, o.stderr).toBe(1);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^nixfleet-agent: AGENT_ERR_STATE_UNUSABLE: /);
    expect(lines[0]).toContain(snapshot);
    expect(lines[0]).toContain('restore the file from a backup, or move it aside');
    expect(existsSync(snapshot)).toBe(true);
    expect(readdirSync(stateDir).filter((f) => f.includes('.corrupt-'))).toEqual([]);
  });
});
