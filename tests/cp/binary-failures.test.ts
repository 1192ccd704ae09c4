// The control-plane binary fails loudly: a configuration error (a missing
// flag, a file that is not there) exits 2 and a runtime start failure (the
// port is taken, the key cannot be read) exits 1 — promptly, with one plain
// line on stderr that says what to fix — and a SIGTERM after "listening"
// exits 0 within 3 s. A CP that logs "fatal" and stays up reads "active
// (running)" under systemd and is never restarted.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from './kit/pki.ts';
import { makeTrust, type TestTrust } from './kit/release.ts';

const root = resolve(import.meta.dirname, '../..');
const BIN = join(root, 'bin/nixfleet-control-plane.mjs');
/** Allowed on top of the measured start-up cost of the program (tsx, imports). */
const EXIT_BOUND_MS = 2_000;
/** Slack for a loaded test machine. */
const MARGIN_MS = 1_500;
/** A process still running after this is reported as "stayed alive". */
const GIVE_UP_MS = 20_000;

let dir: string;
let pki: TestPki;
let trust: TestTrust;

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the binary; SIGKILLs it after {@link GIVE_UP_MS}. `onOut` may act on output. */
function runCp(
  args: readonly string[],
  onOut?: (all: string, kill: (s: NodeJS.Signals) => void) => void,
): Promise<Outcome & { readonly signalledAt: number | null; readonly exitedAt: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: root,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let stdout = '';
  let stderr = '';
  let signalledAt: number | null = null;
  const kill = (s: NodeJS.Signals): void => {
    if (signalledAt !== null) return;
    signalledAt = Date.now();
    child.kill(s);
  };
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onOut?.(stdout + stderr, kill);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    onOut?.(stdout + stderr, kill);
  });
  const giveUp = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      clearTimeout(giveUp);
      const exitedAt = Date.now();
      done({ code, signal, ms: exitedAt - started, stdout, stderr, signalledAt, exitedAt });
    }),
  );
}

function serveArgs(extra: readonly string[], name: string): string[] {
  return [
    'serve',
    '--trust-file',
    trust.trustFile,
    '--db',
    join(dir, `${name}.db`),
    '--release-dir',
    join(dir, 'release'),
    '--log-level',
    'info',
    ...extra,
  ];
}

/** The one plain (non-JSON) stderr line the program printed. */
function plainLines(o: Outcome): string[] {
  return o.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}

/**
 * The start-up cost (tsx, imports) varies with the machine's load, so it is
 * measured right before each case: `--help` exits as soon as it is loaded.
 */
async function startupMs(): Promise<number> {
  return (await runCp(['--help'])).ms;
}

async function expectPrompt(o: Outcome, baselineMs: number): Promise<void> {
  // Twice the baseline: the failing run loads more modules than `--help`.
  const bound = 2 * Math.max(baselineMs, await startupMs()) + EXIT_BOUND_MS + MARGIN_MS;
  expect(o.ms, `exited after ${o.ms} ms (start-up ${baselineMs} ms)`).toBeLessThan(bound);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-cp-fail-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
  mkdirSync(join(dir, 'release'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nixfleet-control-plane serve fails loudly', () => {
  it('no --tls-cert: exit 2 at once, one line naming the flags to set', async () => {
    const baseline = await startupMs();
    const o = await runCp(serveArgs(['--listen', '127.0.0.1:0'], 'no-cert'));
    expect([o.code, o.signal], o.stdout + o.stderr).toEqual([2, null]);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^nixfleet-control-plane: CP_ERR_CONFIG: .*--tls-cert.*--tls-key/);
  });

  it('a --tls-key that does not exist: exit 2, the line names the flag and the path', async () => {
    const missing = join(dir, 'no-such.key');
    const baseline = await startupMs();
    const o = await runCp(
      serveArgs(
        ['--listen', '127.0.0.1:0', '--tls-cert', pki.serverCertFile, '--tls-key', missing],
        'missing-key',
      ),
    );
    expect([o.code, o.signal], o.stdout + o.stderr).toEqual([2, null]);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toContain('CP_ERR_CONFIG');
    expect(lines[0]).toContain(`--tls-key ${missing}`);
    expect(lines[0]).toContain('does not exist');
  });

  it('a --tls-key that cannot be read: exit 1 (runtime start failure)', async () => {
    const unreadable = join(dir, 'key-is-a-directory');
    mkdirSync(unreadable);
    const baseline = await startupMs();
    const o = await runCp(
      serveArgs(
        ['--listen', '127.0.0.1:0', '--tls-cert', pki.serverCertFile, '--tls-key', unreadable],
        'unreadable-key',
      ),
    );
    expect([o.code, o.signal], o.stdout + o.stderr).toEqual([1, null]);
    await expectPrompt(o, baseline);
    const lines = plainLines(o);
    expect(lines, o.stderr).toHaveLength(1);
    expect(lines[0]).toContain('CP_ERR_START_FAILED');
    expect(lines[0]).toContain(`--tls-key ${unreadable}`);
  });

  it('a port in use: exit 1, the line names the address and says it is in use', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const baseline = await startupMs();
      const o = await runCp(
        serveArgs(
          [
            '--listen',
            `127.0.0.1:${port}`,
            '--tls-cert',
            pki.serverCertFile,
            '--tls-key',
            pki.serverKeyFile,
          ],
          'port-in-use',
        ),
      );
      expect([o.code, o.signal], o.stdout + o.stderr).toEqual([1, null]);
      await expectPrompt(o, baseline);
      const lines = plainLines(o);
      expect(lines, o.stderr).toHaveLength(1);
      expect(lines[0]).toContain('CP_ERR_START_FAILED');
      expect(lines[0]).toContain(`127.0.0.1:${port}`);
      expect(lines[0]).toContain('in use');
    } finally {
      taken.close();
    }
  });

  it('SIGTERM once listening: exit 0 within 3 s', async () => {
    const o = await runCp(
      serveArgs(
        [
          '--listen',
          '127.0.0.1:0',
          '--tls-cert',
          pki.serverCertFile,
          '--tls-key',
          pki.serverKeyFile,
        ],
        'sigterm',
      ),
      (all, kill) => {
        if (all.includes('control plane listening')) kill('SIGTERM');
      },
    );
    expect(o.signalledAt, o.stdout + o.stderr).not.toBeNull();
    expect([o.code, o.signal], o.stdout + o.stderr).toEqual([0, null]);
    const stopMs = o.exitedAt - (o.signalledAt ?? 0);
    expect(stopMs, `exited ${stopMs} ms after SIGTERM`).toBeLessThan(3_000);
    expect(o.stdout).toContain('control plane stopped');
  });
});
