// The static compliance gate at release (docs/compliance.md): the real
// `nixfleet release` process evaluates every control of the frameworks a
// channel enables over each host's configuration. A failing control in
// enforce mode refuses with RELEASE_ERR_COMPLIANCE naming host, control,
// framework with its article and the evidence, before anything is built or
// written; in observe mode, or under an override with a reason, the release
// goes on and the signed fleet.resolved records the failure.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyArtifact } from '../../ts/trust/index.ts';
import { runProcess } from '../cli/support/run.ts';
import { flags, tmp, useReleaseWorld, verifyOpts } from './support/world.ts';

useReleaseWorld();

const HARDENED = join(import.meta.dirname, '../lib/support/hardened.nix');

/**
 * A fleet of web-01 (root login over SSH allowed) and web-02 (hardened) on a
 * channel enabling nis2-essential; `refine` is Nix text added to mkFleet's input.
 */
function fleet(name: string, opts: { mode: 'enforce' | 'observe'; refine?: string }): string {
  const file = join(tmp, `${name}.nix`);
  writeFileSync(
    file,
    `{ mkFleet, ... }:
let
  h = import ${HARDENED};
  top = host: builtins.derivation {
    name = "nixos-system-\${host}-${name}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    checks = builtins.toJSON fleet.healthChecks.\${host};
    args = [ "-c" "mkdir -p $out/bin $out/etc/nixfleet/agent; printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration; chmod +x $out/bin/switch-to-configuration; printf '%s' \\"$checks\\" > $out/etc/nixfleet/agent/health-checks.json" ];
  };
  config = host: extra: h // { system = h.system // { build.toplevel = top host; }; } // extra;
  rootLogin = { services = h.services // { openssh = h.services.openssh // { settings = h.services.openssh.settings // { PermitRootLogin = "yes"; }; }; }; };
  fleet = mkFleet {
  hosts.web-01 = { system = builtins.currentSystem; channel = "stable"; configuration.config = config "web-01" rootLogin; };
  hosts.web-02 = { system = builtins.currentSystem; channel = "stable"; configuration.config = config "web-02" { }; };
  channels.stable = { rolloutPolicy = "all"; freshnessWindow = 1440; compliance = { frameworks = [ "nis2-essential" ]; mode = "${opts.mode}"; }; };
  rolloutPolicies.all = { strategy = "all-at-once"; allowNoEnforceProbes = true; };
  ${opts.refine ?? ''}
  };
in
fleet
`,
  );
  return file;
}

function argv(file: string, releaseDir: string): string[] {
  const f = flags({ fleetFile: file, releaseDir });
  return [
    'release',
    '--fleet-file',
    file,
    '--sign-cmd',
    f.signCmd!,
    '--push-cmd',
    f.pushCmd!,
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

/** The signed fleet.resolved of a release directory, verified, as an object. */
function signedResolved(releaseDir: string): Record<string, unknown> {
  const bytes = new Uint8Array(readFileSync(join(releaseDir, 'fleet.resolved.json')));
  const sig = new Uint8Array(readFileSync(join(releaseDir, 'fleet.resolved.json.sig')));
  const v = verifyArtifact(bytes, sig, verifyOpts());
  expect(v.ok, JSON.stringify(v)).toBe(true);
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

describe('nixfleet release: the static compliance gate', () => {
  it('a failing control in enforce mode refuses with a typed error naming host, control, framework and evidence; nothing built or written', async () => {
    const releaseDir = join(tmp, 'enforce-releases');
    const r = await runProcess(argv(fleet('enforce', { mode: 'enforce' }), releaseDir), {
      env: process.env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      'REFUSED [compliance] host web-01: control ssh-root-login-disabled [nis2-essential art.21(2)(i)]: SSH refuses logins as root. Evidence: services.openssh.enable = true, services.openssh.settings.PermitRootLogin = "yes".',
    );
    expect(r.stderr).toMatch(
      /nixfleet release: RELEASE_ERR_COMPLIANCE: .*web-01\/ssh-root-login-disabled fail in enforce mode/,
    );
    expect(r.stderr).not.toContain('web-02/');
    expect(r.stderr).not.toMatch(/release: building /);
    expect(existsSync(releaseDir)).toBe(false);
  }, 180_000);

  it('observe mode releases and records the failure, with its evidence, in the signed fleet.resolved', async () => {
    const releaseDir = join(tmp, 'observe-releases');
    const r = await runProcess(argv(fleet('observe', { mode: 'observe' }), releaseDir), {
      env: process.env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'compliance: host web-01: control ssh-root-login-disabled fails in observe mode (recorded, not refused).',
    );
    const findings = signedResolved(releaseDir)['complianceFindings'] as Record<
      string,
      { passed: string[]; failed: Record<string, unknown> }
    >;
    expect(findings['web-01']!.failed['ssh-root-login-disabled']).toEqual({
      mode: 'observe',
      frameworks: { 'nis2-essential': ['art.21(2)(i)'] },
      evidence: {
        'services.openssh.enable': true,
        'services.openssh.settings.PermitRootLogin': 'yes',
      },
      reason: null,
    });
    expect(findings['web-01']!.passed).not.toContain('ssh-root-login-disabled');
    expect(findings['web-02']!.passed).toContain('ssh-root-login-disabled');
    expect(findings['web-02']!.failed).toEqual({});
  }, 180_000);

  it('an override with a reason releases the failing control on an enforce channel and signs the reason', async () => {
    const releaseDir = join(tmp, 'override-releases');
    const file = fleet('override', {
      mode: 'enforce',
      refine: `hosts.web-01.compliance.frameworks.nis2-essential.controlOverrides.ssh-root-login-disabled = { mode = "observe"; reason = "break-glass access until the bastion is up"; };`,
    });
    const r = await runProcess(argv(file, releaseDir), { env: process.env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const findings = signedResolved(releaseDir)['complianceFindings'] as Record<
      string,
      { failed: Record<string, { mode: string; reason: string }> }
    >;
    expect(findings['web-01']!.failed['ssh-root-login-disabled']).toMatchObject({
      mode: 'observe',
      reason: 'nis2-essential: break-glass access until the bastion is up',
    });
  }, 180_000);
});
