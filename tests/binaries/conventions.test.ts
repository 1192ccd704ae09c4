// The conventions every binary shares, checked on the real executables in
// bin/: `--version` prints version, commit and Node version and exits 0; a
// malformed duration is refused with the program's typed configuration
// error and its usage exit code (2) before anything starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-conventions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(bin: string, args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', `${bin}.mjs`), ...args], {
    encoding: 'utf8',
    timeout: 25_000,
    // A clean environment: no NIXFLEET_* of the caller leaks in.
    env: { PATH: process.env['PATH'] ?? '', HOME: tmp, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const BINARIES = [
  'nixfleet',
  'nixfleet-control-plane',
  'nixfleet-agent',
  'nixfleet-compliance-collect',
] as const;

describe('--version on every binary', () => {
  it.each(BINARIES)('%s --version prints version, commit and Node version', (bin) => {
    const r = run(bin, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(
        `^${bin} ${VERSION.replace(/\./g, '\\.')} \\(commit ([0-9a-f]{7,40}(-dirty)?|unknown), node ${process.version.replace(/\./g, '\\.')}\\)$`,
      ),
    );
  });

  it.each(BINARIES)('%s -V takes the commit from NIXFLEET_COMMIT', (bin) => {
    const r = run(bin, ['-V'], { NIXFLEET_COMMIT: '0123456789ab' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(commit 0123456789ab, node ');
  });

  it('the agent keeps -V anywhere on its line', () => {
    const r = run('nixfleet-agent', ['--machine-id', 'web-01', '-V']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nixfleet-agent /);
  });
});

describe('a bad duration is a typed usage error (exit 2)', () => {
  it.each([
    [
      ['serve', '--db', ':memory:', '--long-poll-secs', '30m1h'],
      /CP_ERR_CONFIG: --long-poll-secs: "30m1h" is not a duration/,
    ],
    [
      ['tick', '--db', ':memory:', '--reconcile-debounce-ms', '-5ms'],
      /CP_ERR_CONFIG: --reconcile-debounce-ms: "-5ms" is negative/,
    ],
  ])('nixfleet-control-plane %j', (args, re) => {
    const r = run('nixfleet-control-plane', args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('nixfleet-control-plane reads the grammar from NIXFLEET_CP_* too', () => {
    const r = run('nixfleet-control-plane', ['tick', '--db', ':memory:'], {
      NIXFLEET_CP_LONG_POLL_SECS: '2h',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CP_ERR_CONFIG: --long-poll-secs: "2h" is above the maximum 1h/);
  });

  it.each([
    [
      ['--poll-budget', '1h30'],
      {},
      /AGENT_ERR_CONFIG: --poll-budget \(NIXFLEET_AGENT_POLL_BUDGET\): "1h30" is not a duration/,
    ],
    [
      [],
      { NIXFLEET_AGENT_HEARTBEAT_INTERVAL: '0s' },
      /AGENT_ERR_CONFIG: --heartbeat-interval .*is below the minimum 1ms/,
    ],
  ])('nixfleet-agent %j %j', (args, env, re) => {
    const r = run(
      'nixfleet-agent',
      ['--control-plane-url', 'https://cp.example:8443', '--machine-id', 'web-01', ...args],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
  });

  it('nixfleet status --timeout 1.5x is the CLI usage error', () => {
    const r = run('nixfleet', [
      'status',
      '--timeout',
      '1.5x',
      ...['--cp-url', 'https://127.0.0.1:1', '--ca-cert', join(tmp, 'ca.pem')],
      ...['--client-cert', join(tmp, 'op.pem'), '--client-key', join(tmp, 'op.key')],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /CLI_ERR_USAGE: --timeout: "1\.5x" is not a duration; write e\.g\. 90s/,
    );
  });
});
