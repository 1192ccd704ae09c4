// The control-plane binary's lifecycle: a stop signal that arrives while the
// CP is still starting (a supervisor, systemd, or anyone who saw its first
// log line) shuts it down gracefully once it is up — exit 0 after
// "shutting down" — instead of the signal's default action killing it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from './kit/pki.ts';
import { makeTrust, type TestTrust } from './kit/release.ts';

const root = resolve(import.meta.dirname, '../..');
let dir: string;
let pki: TestPki;
let trust: TestTrust;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-cp-bin-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nixfleet-control-plane serve', () => {
  it('a SIGTERM on its first log line (still starting) ends in a graceful stop, exit 0', async () => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin/nixfleet-control-plane.mjs'),
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--tls-cert',
        pki.serverCertFile,
        '--tls-key',
        pki.serverKeyFile,
        '--trust-file',
        trust.trustFile,
        '--db',
        join(dir, 'state.db'),
        '--release-dir',
        join(dir, 'release'),
        '--log-level',
        'info',
      ],
      { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    let out = '';
    let signalled = false;
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (!signalled && out.includes('"msg"')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.on('exit', (c, s) => done([c, s])),
    );
    expect(signalled, out).toBe(true);
    expect([code, signal], out).toEqual([0, null]);
    expect(out).toContain('shutting down');
    expect(out).toContain('control plane stopped');
  }, 30_000);
});
