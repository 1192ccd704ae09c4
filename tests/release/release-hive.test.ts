// The hive example (examples/hive/): a Matrix homeserver whose serverName is
// irrevocable, released by the real `nixfleet` process with real nix-build
// toplevels. A module bump that flips serverName's default (v1:
// matrix.<domain>, v2: <domain>) is refused; setting the option explicitly
// (what the module's changelog asks) releases with nothing changed; an
// accepted change goes out and `nixfleet verify` shows who accepted it; a
// failing module assertion names the host and the assertion; the
// registration token is created on the host by the switch (0600) and
// appears neither in the release nor in the closure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../cli/support/run.ts';
import { flags, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

const EXAMPLE = join(import.meta.dirname, '../../examples/hive/fleet.nix');

/** A fleet file releasing the example with the given module release and hive settings. */
function hiveFleet(name: string, defaults: 'v1' | 'v2', hive: string): string {
  const file = join(tmp, `${name}.nix`);
  writeFileSync(
    file,
    `lib: import ${EXAMPLE} (lib // { defaults = "${defaults}"; hive = ${hive}; })\n`,
  );
  return file;
}

const DOMAIN_ONLY = `{ domain = "example.com"; matrix = { }; }`;

function release(file: string, dir: string, extra: string[] = []) {
  const f = flags({ releaseDir: dir });
  return runProcess(
    [
      'release',
      '--fleet-file',
      file,
      '--sign-cmd',
      f.signCmd!,
      '--release-dir',
      dir,
      '--ci-commit',
      f.ciCommit!,
      '--trust-file',
      f.trustFile!,
      '--now',
      f.now!,
      ...extra,
    ],
    { env: { ...process.env, NIXFLEET_ACCEPTED_BY: '' }, timeoutMs: 120_000 },
  );
}

type Fr = {
  hosts: Record<string, { closureHash: string; irrevocable?: Record<string, { value: unknown }> }>;
  irrevocableAcceptances?: unknown[];
};
const fr = (dir: string): Fr =>
  JSON.parse(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')) as Fr;

async function releasedOnV1(name: string): Promise<string> {
  const dir = join(tmp, `${name}-releases`);
  const r = await release(hiveFleet(`${name}-v1`, 'v1', DOMAIN_ONLY), dir);
  expect(r.code, r.stderr).toBe(0);
  expect(fr(dir).hosts['hive-01']!.irrevocable!['serverName']!.value).toBe('matrix.example.com');
  return dir;
}

describe('examples/hive: the homeserver keeps its serverName', () => {
  it('a module bump flipping the serverName default is refused; setting it explicitly releases', async () => {
    const dir = await releasedOnV1('bump');
    const before = snapshot(dir);
    const bumped = await release(hiveFleet('bump-v2', 'v2', DOMAIN_ONLY), dir);
    expect(bumped.code, bumped.stderr).toBe(1);
    expect(bumped.stderr).toContain('RELEASE_ERR_IRREVOCABLE_CHANGE');
    expect(bumped.stderr).toContain('hive-01: serverName: "matrix.example.com" -> "example.com"');
    expect(snapshot(dir)).toEqual(before);
    const pinned = await release(
      hiveFleet(
        'bump-v2-explicit',
        'v2',
        `{ domain = "example.com"; matrix.serverName = "matrix.example.com"; }`,
      ),
      dir,
      ['--force-resign'],
    );
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(fr(dir).hosts['hive-01']!.irrevocable!['serverName']!.value).toBe('matrix.example.com');
    expect(fr(dir).irrevocableAcceptances).toBeUndefined();
  }, 300_000);

  it('the accepted change goes out, and the audit trail names who accepted what, when', async () => {
    const dir = await releasedOnV1('accepted');
    const r = await release(hiveFleet('accepted-v2', 'v2', DOMAIN_ONLY), dir, [
      '--accept-irrevocable-change',
      'hive-01:serverName',
      '--accepted-by',
      'ci@github:example/hive',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(fr(dir).hosts['hive-01']!.irrevocable!['serverName']!.value).toBe('example.com');
    const v = await runProcess(
      [
        'verify',
        'artifact',
        '--artifact',
        join(dir, 'fleet.resolved.json'),
        '--signature',
        join(dir, 'fleet.resolved.json.sig'),
        '--trust-file',
        flags({}).trustFile!,
        '--freshness-window-secs',
        '24h',
        '--now',
        flags({}).now!,
      ],
      { env: process.env, timeoutMs: 60_000 },
    );
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain(
      'accepted irrevocable change: hive-01 serverName "matrix.example.com" -> "example.com" by ci@github:example/hive in 3f2a9c1d0e4b5a6c at 2026-05-16T01:00:00Z',
    );
  }, 300_000);

  it('a failing module assertion names the host and the assertion in the release error', async () => {
    const dir = join(tmp, 'assert-releases');
    const r = await release(
      hiveFleet('assert', 'v2', `{ domain = "example.com"; matrix.gatewayHost = ""; }`),
      dir,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('RELEASE_ERR_EVAL');
    expect(r.stderr).toContain('evaluating host hive-01');
    expect(r.stderr).toContain(
      'services.hyperhive.matrix.gatewayHost must not be the empty string',
    );
    const noName = await release(
      hiveFleet('assert-2', 'v2', `{ domain = null; matrix = { }; }`),
      dir,
    );
    expect(noName.code, noName.stderr).toBe(1);
    expect(noName.stderr).toContain('evaluating host hive-01');
    expect(noName.stderr).toContain(
      'services.hyperhive.matrix.serverName: set it or services.hyperhive.domain',
    );
  }, 300_000);

  it('the registration token is written on the host at activation (0600) and never in the closure or the release', async () => {
    const dir = join(tmp, 'token-releases');
    const r = await release(hiveFleet('token', 'v2', DOMAIN_ONLY), dir);
    expect(r.code, r.stderr).toBe(0);
    const closure = `/nix/store/${fr(dir).hosts['hive-01']!.closureHash}`;
    const root = mkdtempSync(join(tmp, 'host-'));
    try {
      const run = () =>
        execFileSync(join(closure, 'bin/switch-to-configuration'), ['switch'], {
          env: { ...process.env, NIXFLEET_SANDBOX_ROOT: root },
        });
      run();
      const tokenFile = join(root, 'var/lib/hyperhive/matrix-register-token');
      const token = readFileSync(tokenFile, 'utf8');
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      // Idempotent; a loosened mode is normalised back to 0600.
      execFileSync('chmod', ['0640', tokenFile]);
      run();
      expect(readFileSync(tokenFile, 'utf8')).toBe(token);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      // Nowhere but on the host: not in the release directory, not in the closure.
      const closurePaths = execFileSync('nix-store', ['-qR', closure], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
      const grep = (paths: string[]) =>
        paths.some((p) => {
          try {
            execFileSync('grep', ['-rqF', token, p]);
            return true;
          } catch {
            return false;
          }
        });
      expect(grep([dir, ...closurePaths])).toBe(false);
      expect(readdirSync(dir).length).toBeGreaterThan(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
