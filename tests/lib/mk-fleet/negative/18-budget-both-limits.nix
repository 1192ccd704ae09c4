# A disruption budget with both maxInFlight and maxInFlightPct.
# expect: fleet: disruptionBudgets[0]: set exactly one of maxInFlight and maxInFlightPct (both are set). Fix:
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
      maxInFlight = 1;
      maxInFlightPct = 50;
    }
  ];
}
