# fleet.nix and the host's configuration disagree on a value that must never
# change: refused, naming both places.
# expect: fleet: hosts.hive-01: irrevocable value "serverName" is "matrix.example.com" at hosts.hive-01.irrevocable.serverName but "example.com" at nixfleet.irrevocable.serverName (configuration of hive-01).
{ mkFleet, ... }:
let
  s = import ../support.nix;
  c = s.configuration "hive-01";
in
(mkFleet {
  hosts.hive-01 = s.host "hive-01" {
    channel = "stable";
    configuration = c // {
      config = c.config // {
        nixfleet.irrevocable.serverName = "example.com";
      };
    };
    irrevocable.serverName = "matrix.example.com";
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).irrevocable
