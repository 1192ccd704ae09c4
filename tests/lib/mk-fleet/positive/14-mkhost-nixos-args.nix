# Hosts may give `nixosArgs` instead of `configuration` when mkFleet is
# given mkHost (which needs nixpkgs; here a builtins-only stub): mkHost is
# called with { hostName, platform, fleetHealthChecks } // nixosArgs (the
# host's resolved probe set flows back into its closure, RFC-0007 §5), and
# nixosConfigurations passes its result through (asserted below).
{ mkFleetWith, ... }:
let
  s = import ../support.nix;
  mkHost =
    args:
    assert args.fleetHealthChecks.hostname == args.hostName;
    assert args.fleetHealthChecks.schemaVersion == 1;
    s.configuration "${args.hostName}-${args.platform}-${args.stateVersion}";
  fleet = mkFleetWith { inherit mkHost; } {
    hosts = {
      built-01 = {
        system = "aarch64-linux";
        channel = "stable";
        nixosArgs = {
          stateVersion = "24.11";
          modules = [ ];
        };
      };
      given-01 = s.host "given-01" { channel = "stable"; };
    };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
in
assert
  fleet.nixosConfigurations.built-01.config.system.build.toplevel.name
  == "nixos-system-built-01-aarch64-linux-24.11";
fleet
