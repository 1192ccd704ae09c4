# mergeFleets: the same host in two fleets.
# expect: mergeFleets: hosts.web-01 is declared by fleets #0, #1; a host belongs to exactly one fleet. Fix:
{ mergeFleets, ... }:
let
  s = import ../support.nix;
  fleet = {
    hosts.web-01 = s.host "web-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
in
mergeFleets [
  fleet
  (fleet // { hosts.web-01 = s.host "web-01" { channel = "stable"; tags = [ "lyon" ]; }; })
]
