// Probes reach the host or the release fails: hosts given `configuration = …`
// (the form examples/fleet.nix teaches) whose built toplevel does not carry
// every probe fleet.nix declares for them, rendered identically, are refused
// with RELEASE_ERR_PROBES_NOT_RENDERED naming host and probes; nothing is
// written. A closure that renders them gets its probe set signed into the
// rollout manifest, which is what the agent checks its file against.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { releaseCommand } from '../../ts/cli/commands/release.ts';
import { COMMIT, flags, io, snapshot, tmp, useReleaseWorld } from './support/world.ts';

useReleaseWorld();

/**
 * A fleet whose hosts are `configuration = …` toplevels. `render` says what
 * each toplevel writes to etc/nixfleet/agent/health-checks.json: mkFleet's
 * own resolved set for the host (`fleet`), nothing (`none`), or the set with
 * the declared exec probe's command changed (`changed`).
 */
function probeFleet(
  name: string,
  o: { gen: string; render: Record<string, 'fleet' | 'none' | 'changed'>; probes?: boolean },
): string {
  const file = join(tmp, `${name}.nix`);
  const renderOf = (h: string): string => o.render[h] ?? 'fleet';
  const declared =
    o.probes === false
      ? ''
      : 'healthChecks.always-fails = { kind = "exec"; command = "/bin/false"; };';
  writeFileSync(
    file,
    `{ mkFleet, ... }:
let
  input = configuration: {
    hosts.web-01 = { system = builtins.currentSystem; channel = "stable"; tags = [ "canary" ]; configuration = configuration "web-01"; };
    hosts.web-02 = { system = builtins.currentSystem; channel = "stable"; tags = [ "web" ]; configuration = configuration "web-02"; };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; soakMinutes = 5; } { selector.all = true; } ];
    };
    ${declared}
  };
  # mkFleet's resolved probe sets, from a pass whose toplevels are placeholders.
  resolvedProbes = (mkFleet (input (_: { config.system.build.toplevel = "placeholder"; }))).healthChecks;
  render = { ${['web-01', 'web-02'].map((h) => `"${h}" = "${renderOf(h)}";`).join(' ')} };
  checks = host:
    let set = resolvedProbes.\${host}; in
    if render.\${host} == "changed" then
      set // { probes = set.probes // { always-fails = set.probes.always-fails // { command = "/bin/true"; }; }; }
    else set;
  top = host: builtins.derivation {
    name = "nixos-system-\${host}-${o.gen}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    checks = if render.\${host} == "none" then "" else builtins.toJSON (checks host);
    args = [ "-c" "mkdir -p $out/bin $out/etc/nixfleet/agent; printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration; chmod +x $out/bin/switch-to-configuration; if [ -n \\"$checks\\" ]; then printf '%s' \\"$checks\\" > $out/etc/nixfleet/agent/health-checks.json; fi" ];
  };
in
mkFleet (input (host: { config.system.build.toplevel = top host; }))
`,
  );
  return file;
}

const releaseDir = join(tmp, 'releases');

describe('nixfleet release: declared probes must be rendered into each closure', () => {
  it('refuses configuration hosts whose closure has no health-checks.json, naming host and probe; nothing written', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: probeFleet('none', {
          gen: 'p1',
          render: { 'web-01': 'none', 'web-02': 'none' },
        }),
      }),
    );
    const err = c.err.join('\n');
    expect(code, err).toBe(1);
    expect(err).toMatch(/RELEASE_ERR_PROBES_NOT_RENDERED/);
    expect(err).toMatch(/web-01: missing: always-fails/);
    expect(err).toMatch(/web-02: missing: always-fails/);
    expect(existsSync(releaseDir)).toBe(false);
  }, 180_000);

  it('refuses one host whose closure renders the probe differently; nothing written', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({ fleetFile: probeFleet('changed', { gen: 'p2', render: { 'web-02': 'changed' } }) }),
    );
    const err = c.err.join('\n');
    expect(code, err).toBe(1);
    expect(err).toMatch(/RELEASE_ERR_PROBES_NOT_RENDERED[\s\S]*web-02: different: always-fails/);
    expect(err).not.toMatch(/web-01:/);
    expect(existsSync(releaseDir)).toBe(false);
  }, 180_000);

  it('signs the rendered probe set of each host into its manifest entry', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({ fleetFile: probeFleet('ok', { gen: 'p3', render: {} }) }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const m = JSON.parse(
      readFileSync(join(releaseDir, 'rollouts', `stable@${COMMIT}.json`), 'utf8'),
    ) as {
      hostSet: {
        hostname: string;
        probes: Record<string, { command: string; mode: string }> | null;
      }[];
    };
    expect(m.hostSet.map((h) => h.hostname)).toEqual(['web-01', 'web-02']);
    for (const h of m.hostSet) {
      expect(Object.keys(h.probes ?? {})).toEqual(['always-fails']);
      expect(h.probes?.['always-fails']).toMatchObject({ command: '/bin/false', mode: 'enforce' });
    }
  }, 180_000);

  it('a fleet that declares no probes signs an empty set for a closure without the file', async () => {
    const before = snapshot(releaseDir);
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: probeFleet('noprobes', {
          gen: 'p4',
          probes: false,
          render: { 'web-01': 'none', 'web-02': 'none' },
        }),
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    expect(snapshot(releaseDir)).not.toEqual(before);
    const m = JSON.parse(
      readFileSync(join(releaseDir, 'rollouts', `stable@${COMMIT}.json`), 'utf8'),
    ) as {
      hostSet: { probes: unknown }[];
    };
    expect(m.hostSet.map((h) => h.probes)).toEqual([{}, {}]);
  }, 180_000);
});
