# A configuration declaring an irrevocable value that is null (an option
# left unset) is refused: it is not a value that can be guarded.
# expect: fleet: hosts.hive-01: nixfleet.irrevocable.serverName (configuration of hive-01) is a null; an irrevocable value is a string, an integer or a boolean.
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
        nixfleet.irrevocable.serverName = null;
      };
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).irrevocable
