# The same probe name twice in one scope: a host's tags form one scope, and
# two of them declare "heartbeat" differently (no channel or host
# declaration decides).
# expect: fleet: hosts.web-01: probe "heartbeat" is declared twice at tag scope with different definitions (tags.web.healthChecks.heartbeat, tags.eu.healthChecks.heartbeat); a host's tags form one scope. Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    tags = [ "web" "eu" ];
  };
  tags = {
    web.healthChecks.heartbeat = {
      kind = "http";
      url = "http://localhost/health";
    };
    eu.healthChecks.heartbeat = {
      kind = "tcp";
      host = "127.0.0.1";
      port = 80;
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
