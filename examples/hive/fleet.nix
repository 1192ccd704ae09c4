# The hive fleet: a private Matrix homeserver (hive-01, configured through
# services.hyperhive.matrix as in seed 000) and a gateway host (gw-01), one
# channel, canary first. serverName is irrevocable: the homeserver module
# declares it (module.nix: nixfleet.irrevocable.serverName), so a module
# bump that flips its default is refused by `nixfleet release`
# (RELEASE_ERR_IRREVOCABLE_CHANGE) and by the agent.
#
# Builtins only, so it releases and rolls out without nixpkgs: the host
# configurations are stand-ins built from settings.nix, the same decisions
# module.nix applies on NixOS. Each closure carries the rendered tuwunel
# configuration; its switch writes the registration token on the host
# (0600, never in the store). A failing assertion throws when the toplevel
# is evaluated, as on NixOS, so the release names the host and assertion.
#
#   nixfleet release --fleet-file examples/hive/fleet.nix …
#   nix-instantiate --eval --strict --json examples/hive/fleet.nix -A irrevocable
#
# Arguments (all defaulted; the release passes only the library):
#   defaults  the hive-matrix module release, "v1" or "v2" (see settings.nix)
#   hive      services.hyperhive settings of hive-01: { domain; matrix = { … }; }
{
  mkFleet ? (import ../../lib).mkFleet,
  defaults ? "v2",
  hive ? {
    domain = "example.com";
    matrix = { };
  },
  ...
}:
let
  settings = import ./settings.nix {
    inherit defaults;
    domain = hive.domain or null;
    matrix = hive.matrix or { };
  };

  stand-in =
    name: extra:
    builtins.derivation (
      {
        name = "nixos-system-${name}-${defaults}";
        system = builtins.currentSystem;
        builder = "/bin/sh";
        PATH = "/bin:/usr/bin";
        activation = "";
        config = "";
        args = [
          "-c"
          ''
            mkdir -p $out/bin $out/etc/hive-matrix
            printf '#!/bin/sh\nset -e\nROOT="$NIXFLEET_SANDBOX_ROOT"\n%s\nexit 0\n' "$activation" > $out/bin/switch-to-configuration
            chmod +x $out/bin/switch-to-configuration
            [ -z "$config" ] || printf '%s' "$config" > $out/etc/hive-matrix/tuwunel.json
          ''
        ];
      }
      // extra
    );

  homeserver = {
    config = {
      # As on NixOS: a failed assertion aborts the evaluation of the system.
      system.build.toplevel =
        if settings.failed != [ ] then
          throw "\nFailed assertions:\n${builtins.concatStringsSep "\n" (map (m: "- ${m}") settings.failed)}"
        else
          stand-in "hive-01" {
            activation = settings.tokenActivation;
            config = settings.tuwunelConfig;
          };
      nixfleet.irrevocable =
        if settings.cfg.serverName == null then { } else { inherit (settings.cfg) serverName; };
      nixfleet.persistence.directories = settings.stateDirectories;
    };
  };
in
mkFleet {
  hosts.hive-01 = {
    system = builtins.currentSystem;
    channel = "stable";
    tags = [ "matrix" ];
    configuration = homeserver;
  };
  hosts.gw-01 = {
    system = builtins.currentSystem;
    channel = "stable";
    tags = [ "canary" ];
    configuration.config.system.build.toplevel = stand-in "gw-01" { };
  };
  tags.matrix.description = "Runs the hive-matrix homeserver; its serverName is irrevocable.";
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      { selector.tags = [ "canary" ]; }
      { selector.all = true; }
    ];
  };
}
