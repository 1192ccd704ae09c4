# A probe without its `kind` discriminator.
# expect: - hosts.web-01.healthChecks.heartbeat.kind: required option is missing (one of "http", "tcp", "exec", "evidence")
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    healthChecks.heartbeat = {
      url = "http://localhost/health";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
