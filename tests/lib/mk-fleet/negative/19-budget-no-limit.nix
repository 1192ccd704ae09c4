# A disruption budget with neither maxInFlight nor maxInFlightPct.
# expect: fleet: disruptionBudgets[0]: set exactly one of maxInFlight and maxInFlightPct (neither is set). Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.etcd-01 = s.host "etcd-01" {
    channel = "stable";
    tags = [ "etcd" ];
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  disruptionBudgets = [
    {
      selector.tags = [ "etcd" ];
    }
  ];
}
