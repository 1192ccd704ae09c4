// Irrevocable values refuse a release that changes them (docs/release.md,
// "Values that must never change"). The real `nixfleet` process releases a
// fleet whose canary tag declares serverName (web-01) and whose db tag
// declares a sensitive clusterId (db-01), then a fleet that changes,
// removes or accepts a change: every refusal is typed, names host, name, old
// and new value, happens before any build, and leaves the previous release
// byte for byte; an accepted change is signed with who, what, when.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../cli/support/run.ts';
import { fleetFile, flags, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

function argv(file: string, releaseDir: string, extra: string[] = []): string[] {
  const f = flags({ fleetFile: file, releaseDir });
  return [
    'release',
    '--fleet-file',
    file,
    '--sign-cmd',
    f.signCmd!,
    '--release-dir',
    releaseDir,
    '--ci-commit',
    f.ciCommit!,
    '--trust-file',
    f.trustFile!,
    '--now',
    f.now!,
    '--force-resign',
    ...extra,
  ];
}

const declare = (serverName: string | null, clusterId = 's3cr3t-cluster'): string =>
  `${serverName === null ? '' : `tags.canary.irrevocable.serverName = "${serverName}";`}
  tags.db.irrevocable.clusterId = { value = "${clusterId}"; sensitive = true; };`;

const release = (file: string, releaseDir: string, extra: string[] = []) =>
  runProcess(argv(file, releaseDir, extra), {
    env: { ...process.env, NIXFLEET_ACCEPTED_BY: '' },
    timeoutMs: 120_000,
  });

type Signed = {
  hosts: Record<string, { irrevocable?: Record<string, { sha256: string; value: unknown }> }>;
  irrevocableAcceptances?: Record<string, unknown>[];
};
const signed = (dir: string): Signed =>
  JSON.parse(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')) as Signed;

async function firstRelease(name: string): Promise<string> {
  const dir = join(tmp, `${name}-releases`);
  const r = await release(
    fleetFile(`${name}-1`, { gen: 'i1', extra: declare('matrix.example.com') }),
    dir,
  );
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

describe('nixfleet release guards irrevocable values', () => {
  it('the first release signs each host its values (a sensitive one as its digest only)', async () => {
    const dir = await firstRelease('first');
    const fr = signed(dir);
    expect(fr.hosts['web-01']!.irrevocable!['serverName']!.value).toBe('matrix.example.com');
    expect(fr.hosts['db-01']!.irrevocable!['clusterId']!.value).toBeNull();
    expect(fr.hosts['db-01']!.irrevocable!['clusterId']!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')).not.toContain('s3cr3t');
    const manifest = readFileSync(join(dir, 'rollouts', 'stable@3f2a9c1d0e4b5a6c.json'), 'utf8');
    expect(manifest).toContain('"serverName"');
    expect(manifest).not.toContain('s3cr3t');
  }, 240_000);

  it('a changed value (a module default flip) refuses before any build, naming host, name, old and new', async () => {
    const dir = await firstRelease('change');
    const before = snapshot(dir);
    const r = await release(
      fleetFile('change-2', { gen: 'i2', extra: declare('example.com') }),
      dir,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('RELEASE_ERR_IRREVOCABLE_CHANGE');
    expect(r.stderr).toContain('web-01: serverName: "matrix.example.com" -> "example.com"');
    expect(r.stderr).toContain('--accept-irrevocable-change web-01:serverName');
    expect(r.stderr).not.toMatch(/release: building /);
    expect(snapshot(dir)).toEqual(before);
  }, 240_000);

  it('a removed value and a changed sensitive value refuse, the sensitive one without its value', async () => {
    const dir = await firstRelease('remove');
    const before = snapshot(dir);
    const r = await release(
      fleetFile('remove-2', { gen: 'i3', extra: declare(null, 'other-cluster') }),
      dir,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('RELEASE_ERR_IRREVOCABLE_CHANGE');
    expect(r.stderr).toContain('web-01: serverName: "matrix.example.com" -> (removed)');
    expect(r.stderr).toMatch(/db-01: clusterId: <sensitive sha256:[0-9a-f]{12}…> -> <sensitive/);
    expect(r.stderr).not.toContain('s3cr3t');
    expect(r.stderr).not.toContain('other-cluster');
    expect(snapshot(dir)).toEqual(before);
  }, 240_000);

  it('an accepted change is signed with who, what and when, and kept by later releases', async () => {
    const dir = await firstRelease('accept');
    const file = fleetFile('accept-2', { gen: 'i4', extra: declare('example.com') });
    const noWho = await release(file, dir, ['--accept-irrevocable-change', 'web-01:serverName']);
    expect(noWho.code, noWho.stderr).toBe(2);
    expect(noWho.stderr).toContain('--accepted-by');
    const unused = await release(file, dir, [
      '--accept-irrevocable-change',
      'web-01:serverName',
      '--accept-irrevocable-change',
      'web-02:serverName',
      '--accepted-by',
      'ci@example',
    ]);
    expect(unused.code, unused.stderr).toBe(2);
    expect(unused.stderr).toContain('web-02:serverName matches no change');
    const ok = await release(file, dir, [
      '--accept-irrevocable-change',
      'web-01:serverName',
      '--accepted-by',
      'ci@example',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('accepted change of irrevocable web-01:serverName (by ci@example)');
    const fr = signed(dir);
    expect(fr.irrevocableAcceptances).toEqual([
      expect.objectContaining({
        host: 'web-01',
        name: 'serverName',
        oldValue: 'matrix.example.com',
        newValue: 'example.com',
        acceptedBy: 'ci@example',
        ciCommit: '3f2a9c1d0e4b5a6c',
        acceptedAt: '2026-05-16T01:00:00Z',
      }),
    ]);
    const manifest = readFileSync(join(dir, 'rollouts', 'stable@3f2a9c1d0e4b5a6c.json'), 'utf8');
    expect(manifest).toContain('"irrevocableAcceptances"');
    // A later release of another change keeps the acceptance (hosts not yet
    // moved still need it); verify shows it.
    const later = await release(
      fleetFile('accept-3', { gen: 'i5', extra: declare('example.com') }),
      dir,
    );
    expect(later.code, later.stderr).toBe(0);
    expect(signed(dir).irrevocableAcceptances).toHaveLength(1);
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
        '86400',
        '--now',
        '2026-05-16T01:00:00Z',
      ],
      { env: process.env, timeoutMs: 60_000 },
    );
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(
      /accepted irrevocable change: web-01 serverName "matrix\.example\.com" -> "example\.com" by ci@example in 3f2a9c1d0e4b5a6c at 2026-05-16T01:00:00Z/,
    );
    expect(existsSync(dir)).toBe(true);
  }, 480_000);
});
