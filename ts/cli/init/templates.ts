// The text `nixfleet init` writes besides keys and certificates: fleet.nix,
// .gitignore and the layout both refer to. Pure: names in, text out.

/** Where init puts each file, relative to the fleet directory. */
export const LAYOUT = {
  fleet: 'fleet.nix',
  trust: 'trust.json',
  gitignore: '.gitignore',
  config: 'nixfleet.toml',
  orgRootKey: 'keys/org-root.key',
  ciReleaseKey: 'keys/ci-release.key',
  cacheSecretKey: 'keys/cache.sk',
  cachePublicKey: 'keys/cache.pk',
  caCert: 'pki/fleet-ca.pem',
  caKey: 'pki/fleet-ca.key',
  serverCert: 'pki/cp-server.pem',
  serverKey: 'pki/cp-server.key',
  operatorCert: 'pki/operator.pem',
  operatorKey: 'pki/operator.key',
} as const;

/** The directories init owns whole: `--force` replaces them, leaving nothing stale. */
export const OWNED_DIRS = ['keys', 'pki'] as const;

/** Host names init accepts (what a NixOS hostName and the CP accept). */
export const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The .gitignore: every private key and the operator-local config. Public
 * halves, certificates, fleet.nix and trust.json are meant to be committed.
 */
export function gitignoreText(): string {
  return [
    '# Private keys (mode 0600): never commit them. Move the CA, org root and',
    '# CI keys offline or into your secret store (docs/operators.md).',
    LAYOUT.orgRootKey,
    LAYOUT.ciReleaseKey,
    LAYOUT.cacheSecretKey,
    LAYOUT.caKey,
    LAYOUT.serverKey,
    LAYOUT.operatorKey,
    '# Operator-local CLI config (absolute paths of this checkout).',
    LAYOUT.config,
    '',
  ].join('\n');
}

/**
 * fleet.nix for `hosts` (the first is the canary): one channel rolled out by
 * a two-wave canary (the canary, then everyone; every host is in a wave) and
 * one enforce probe every host runs. The host configurations are stand-ins
 * that render the fleet's probes into their closure, as the agent module
 * does for a real NixOS configuration.
 */
export function fleetNixText(hosts: readonly string[]): string {
  const hostLines = hosts
    .map((h, i) => `    ${h} = host "${h}" [ ${i === 0 ? '"canary" ' : ''}"web" ];`)
    .join('\n');
  return `# The fleet (mkFleet input; docs/fleet-authors.md). \`nixfleet release
# --fleet-file fleet.nix\` calls this file with the NixFleet library.
{ mkFleet, ... }:
let
  # Stand-in for a host's NixOS configuration: a real toplevel derivation
  # with switch-to-configuration and the fleet's probes rendered at
  # etc/nixfleet/agent/health-checks.json (the release refuses a closure
  # without them; docs/release.md). In a flake, use
  # self.nixosConfigurations.<host> with the nixfleet agent module and
  # services.nixfleet-agent.fleetHealthChecks = fleet.healthChecks.<host>.
  configuration = name: {
    config.system.build.toplevel = builtins.derivation {
      name = "nixos-system-\${name}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      checks = builtins.toJSON fleet.healthChecks.\${name};
      args = [
        "-c"
        "mkdir -p $out/bin $out/etc/nixfleet/agent && printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration && printf '%s' \\"$checks\\" > $out/etc/nixfleet/agent/health-checks.json"
      ];
      PATH = "/bin:/usr/bin";
    };
  };

  host = name: tags: {
    system = builtins.currentSystem;
    configuration = configuration name;
    channel = "stable";
    inherit tags;
  };

  fleet = mkFleet {
    hosts = {
${hostLines}
    };

    tags = {
      canary.description = "Takes every change first.";
      web.description = "Serves the site.";
    };

    channels.stable = {
      description = "Production.";
      rolloutPolicy = "canary";
      freshnessWindow = 1440;
    };

    # The canary first, soaked; then every host. Every host is in a wave.
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "canary" ];
          soakMinutes = 10;
        }
        { selector.all = true; }
      ];
      healthGate.systemdFailedUnits.max = 0;
      onHealthFailure = "rollback-and-halt";
    };

    # Every host runs it after each activation; a failure rolls the host back.
    healthChecks.system-running = {
      kind = "exec";
      command = "/run/current-system/sw/bin/systemctl is-system-running";
      intervalSeconds = 30;
      mode = "enforce";
    };
  };
in
fleet
`;
}
