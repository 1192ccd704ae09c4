// One log shape for the two daemons: the real nixfleet-control-plane and
// nixfleet-agent binaries (bin/*.mjs) are started briefly and their first
// JSON log lines must carry exactly the same base fields, with the values
// an operator filters on (service, pid, hostname, version).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from '../cp/kit/pki.ts';
import { makeTrust, type TestTrust } from '../cp/kit/release.ts';
import { makeHost, writeAgentTrust, writeToken } from '../agent/support/fleet.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const BASE = ['hostname', 'level', 'msg', 'pid', 'service', 'time', 'version'];
let dir: string;
let pki: TestPki;
let trust: TestTrust;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-log-shape-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs a binary until it has written `n` JSON lines, then stops it. */
async function firstLines(bin: string, args: readonly string[], n: number) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', `${bin}.mjs`), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines: Record<string, unknown>[] = [];
  let out = '';
  const onData = (d: Buffer): void => {
    out += d.toString();
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    for (const l of parts)
      if (l.startsWith('{')) lines.push(JSON.parse(l) as Record<string, unknown>);
    if (lines.length >= n && child.exitCode === null) child.kill('SIGTERM');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await new Promise((done) => child.on('exit', done));
  clearTimeout(timer);
  return { pid: child.pid, lines };
}

describe('CP and agent log lines have one shape', () => {
  it('the first lines of each daemon carry the same base fields and values', async () => {
    const cp = await firstLines(
      'nixfleet-control-plane',
      [
        'serve',
        '--listen=127.0.0.1:0',
        `--tls-cert=${pki.serverCertFile}`,
        `--tls-key=${pki.serverKeyFile}`,
        `--trust-file=${trust.trustFile}`,
        `--db=${join(dir, 'state.db')}`,
        `--release-dir=${join(dir, 'release')}`,
      ],
      1,
    );
    const host = makeHost(join(dir, 'agent'), 'web-01');
    const nobody = await freePort();
    const agent = await firstLines(
      'nixfleet-agent',
      [
        `--control-plane-url=https://127.0.0.1:${nobody}`,
        `--machine-id=${host.name}`,
        `--trust-file=${writeAgentTrust(dir, trust, `test-cache:${Buffer.alloc(32).toString('base64')}`)}`,
        `--ca-cert=${pki.caCertFile}`,
        `--ssh-host-key-file=${host.keyFile}`,
        `--bootstrap-token-file=${writeToken(dir, trust, host, 'n-1')}`,
        `--state-dir=${join(dir, 'agent-state')}`,
        '--activation-backend=sandbox',
        '--backoff-base=50ms',
        '--backoff-max=200ms',
      ],
      1,
    );
    const [c] = cp.lines;
    const [a] = agent.lines;
    expect(c, JSON.stringify(cp.lines)).toBeDefined();
    expect(a, JSON.stringify(agent.lines)).toBeDefined();
    // Exactly the base fields, beyond whatever the line itself reports.
    const base = (l: Record<string, unknown>) => BASE.filter((k) => k in l);
    expect(base(c!)).toEqual(BASE);
    expect(base(a!)).toEqual(BASE);
    expect(Object.keys(c!).filter((k) => ['name', 'host'].includes(k))).toEqual([]);
    expect(Object.keys(a!).filter((k) => ['name', 'host'].includes(k))).toEqual([]);
    expect(c).toMatchObject({ service: 'nixfleet-control-plane', pid: cp.pid, version: VERSION });
    expect(a).toMatchObject({
      service: 'nixfleet-agent',
      pid: agent.pid,
      version: VERSION,
      hostname: 'web-01',
    });
    for (const l of [c!, a!]) {
      expect(typeof l['level']).toBe('number');
      expect(typeof l['time']).toBe('number');
      expect(typeof l['hostname']).toBe('string');
    }
  }, 60_000);
});
