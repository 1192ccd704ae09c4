# A probe mode outside enforce | observe | disabled.
# expect: - hosts.web-01.healthChecks.heartbeat.mode: expected one of "enforce", "observe", "disabled", got string "warn"
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
      mode = "warn";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
