# A tcp probe without its required `port` (RFC-0007 §3.2), reported by the
# input contract with its path.
# expect: fleet: 1 error(s) in the fleet description (contracts/fleet-input.nix):
# expect: - hosts.web-01.healthChecks.postgres.port: required option is missing
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    healthChecks.postgres = {
      kind = "tcp";
      host = "127.0.0.1";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
