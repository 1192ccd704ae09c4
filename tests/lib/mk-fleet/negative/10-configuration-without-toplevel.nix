# A configuration that is not an evaluated NixOS configuration.
# expect: fleet: hosts.web-01.configuration: has no config.system.build.toplevel, so it is not an evaluated NixOS configuration. Fix: pass a nixosConfiguration (e.g. self.nixosConfigurations.web-01)
{ mkFleet, ... }:
mkFleet {
  hosts.web-01 = {
    system = "x86_64-linux";
    configuration = {
      config.system.build = { };
    };
    channel = "stable";
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
