// Safety-relevant fleet warnings refuse the release (issue: fail closed).
// A typo in the canary wave's tag ("canry") empties wave 0, so every host
// would roll out at once: the real `nixfleet` process exits 1 with
// RELEASE_ERR_UNACCEPTED_WARNING, prints the warning before any build, and
// builds, pushes, signs and writes nothing. Accepting the id in fleet.nix
// releases, with the warning printed (tagged accepted) before the builds.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../cli/support/run.ts';
import { fleetFile, flags, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

const hookLog = (): string => join(tmp, 'hooks.log');

/** `nixfleet release` argv for this world, with hooks that log each call. */
function argv(file: string, releaseDir: string): string[] {
  const f = flags({ fleetFile: file, releaseDir });
  return [
    'release',
    '--fleet-file',
    file,
    '--sign-cmd',
    `echo "sign $NIXFLEET_INPUT" >> ${hookLog()}; ${f.signCmd}`,
    '--push-cmd',
    `echo "push $NIXFLEET_HOST" >> ${hookLog()}; ${f.pushCmd!}`,
    '--release-dir',
    releaseDir,
    '--ci-commit',
    f.ciCommit!,
    '--trust-file',
    f.trustFile!,
    '--now',
    f.now!,
  ];
}

const hookCalls = (): string => (existsSync(hookLog()) ? readFileSync(hookLog(), 'utf8') : '');

describe('nixfleet release refuses unaccepted safety-relevant warnings', () => {
  it('an empty canary wave (tag typo) refuses with a typed code; nothing built, signed or written', async () => {
    const releaseDir = join(tmp, 'typo-releases');
    const file = fleetFile('typo', { gen: 'w1', canaryTag: 'canry' });
    const r = await runProcess(argv(file, releaseDir), { env: process.env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /REFUSED \[empty-wave:waves\.stable\[0\]\]: .*selects no host of channel stable/,
    );
    expect(r.stderr).toMatch(
      /nixfleet release: RELEASE_ERR_UNACCEPTED_WARNING: .*empty-wave:waves\.stable\[0\]/,
    );
    expect(r.stderr).toMatch(/acceptWarnings\."empty-wave:waves\.stable\[0\]" = /);
    expect(r.stderr).not.toMatch(/release: building /);
    expect(hookCalls()).toBe('');
    expect(existsSync(releaseDir)).toBe(false);
  }, 180_000);

  it('a refused fleet leaves the previous release byte for byte', async () => {
    const releaseDir = join(tmp, 'kept-releases');
    const ok = await runProcess(argv(fleetFile('good', { gen: 'w2' }), releaseDir), {
      env: process.env,
      timeoutMs: 120_000,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const before = snapshot(releaseDir);
    const r = await runProcess(
      argv(fleetFile('typo2', { gen: 'w3', canaryTag: 'canry' }), releaseDir),
      { env: process.env, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('RELEASE_ERR_UNACCEPTED_WARNING');
    expect(snapshot(releaseDir)).toEqual(before);
  }, 240_000);

  it('accepting the id releases, printing the warning before any build', async () => {
    const releaseDir = join(tmp, 'accepted-releases');
    const file = fleetFile('accepted', {
      gen: 'w4',
      canaryTag: 'canry',
      extra: 'acceptWarnings."empty-wave:waves.stable[0]" = "no canary host this week";',
    });
    const r = await runProcess(argv(file, releaseDir), { env: process.env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const accepted = r.stderr.indexOf('accepted warning [empty-wave:waves.stable[0]]');
    const firstBuild = r.stderr.indexOf('release: building ');
    expect(accepted).toBeGreaterThanOrEqual(0);
    expect(firstBuild).toBeGreaterThan(accepted);
    expect(existsSync(join(releaseDir, 'fleet.resolved.json'))).toBe(true);
  }, 180_000);
});
