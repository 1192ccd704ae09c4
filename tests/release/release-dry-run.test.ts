// `nixfleet release --dry-run`: after evaluation only, per channel, which
// hosts change closure against the previous release and which stay; nothing
// is built, pushed, signed or written.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseCommand } from '../../ts/cli/commands/release.ts';
import type { DryRunPlan } from '../../ts/cli/release/dry-run.ts';
import { fleetFile, flags, io, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();
const releaseDir = join(tmp, 'releases');
let first: Record<string, string>;
// Hooks that fail if called: a dry run signs and pushes nothing.
const never = { signCmd: 'echo called >&2; exit 9', pushCmd: 'echo called >&2; exit 9' };

beforeAll(async () => {
  const c = io();
  const code = await releaseCommand(c, flags({ fleetFile: fleetFile('fleet', { gen: 'd1' }) }));
  expect(code, c.err.join('\n')).toBe(0);
  first = snapshot(releaseDir);
}, 180_000);

async function dryRun(file: string): Promise<DryRunPlan> {
  const c = io();
  const code = await releaseCommand(c, flags({ fleetFile: file, dryRun: true, ...never }));
  expect(code, c.err.join('\n')).toBe(0);
  return JSON.parse(c.out.join('')) as DryRunPlan;
}

describe('nixfleet release --dry-run', () => {
  it('an unchanged fleet: every host stays; nothing signed or written', async () => {
    const plan = await dryRun(fleetFile('fleet', { gen: 'd1' }));
    expect(plan.channels).toEqual([
      { channel: 'stable', change: [], stay: ['db-01', 'web-01', 'web-02'], notBuilt: [] },
    ]);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('one host changed: it is the only change, and its closure is not built', async () => {
    // Unique per run: the store outlives the test, and "not built" must mean this run.
    const v2 = `v2x${Date.now().toString(36)}`;
    const f = fleetFile('one', { gen: 'd1' });
    writeFileSync(
      f,
      readFileSync(f, 'utf8').replace(
        'hosts.web-02 = host "web-02" [ "web" ];',
        `hosts.web-02 = host "web-02" [ "web" ] // { configuration.config.system.build.toplevel = top "web-02-${v2}"; };`,
      ),
    );
    const plan = await dryRun(f);
    const stable = plan.channels[0]!;
    expect(stable.stay).toEqual(['db-01', 'web-01']);
    expect(stable.change.map((c) => c.host)).toEqual(['web-02']);
    expect(stable.change[0]!.from).toMatch(/-nixos-system-web-02-d1$/);
    expect(stable.change[0]!.to).toBe(
      `${stable.change[0]!.to.slice(0, 32)}-nixos-system-web-02-${v2}-d1`,
    );
    expect(existsSync(`/nix/store/${stable.change[0]!.to}`)).toBe(false);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('hosts left out by --hosts are listed as kept', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('fleet', { gen: 'd2' }),
        hosts: 'web-01',
        dryRun: true,
        json: false,
        ...never,
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const text = c.out.join('');
    expect(text).toMatch(/channel stable: 1 change, 0 stay, 2 not built/);
    expect(text).toMatch(/change web-01 +\S+-d1 -> \S+-d2/);
    expect(text).toMatch(/keep {3}db-01 \(not selected\)/);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);
});
