# A probe kind that does not exist.
# expect: - hosts.web-01.healthChecks.ping.kind: expected one of "http", "tcp", "exec", "evidence", got string "icmp"
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    healthChecks.ping = {
      kind = "icmp";
      host = "127.0.0.1";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
