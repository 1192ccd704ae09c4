# mergeFleets: the same channel declared differently by two fleets.
# expect: mergeFleets: channels.stable is declared by fleets #0, #1 with different values. Fix: declare it in one fleet only, or make the declarations identical.
{ mkFleet, mergeFleets, ... }:
let
  s = import ../support.nix;
in
mergeFleets [
  (mkFleet {
    hosts.par-01 = s.host "par-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  })
  {
    hosts.lyo-01 = s.host "lyo-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 2880;
    };
  }
]
