# intervalSeconds <= 0 (use mode = "disabled" to suppress a probe).
# expect: - hosts.web-01.healthChecks.heartbeat.intervalSeconds: expected positive integer, meaning >0, at most 2^53-1, got integer 0
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    healthChecks.heartbeat = {
      kind = "http";
      url = "http://localhost/health";
      intervalSeconds = 0;
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
