# A disruption budget whose selector covers no host ("etdc") limits nothing.
# expect: - [empty-budget:disruptionBudgets[0]] fleet: disruptionBudgets[0].selector {"tags":["etdc"]} selects no host: the budget limits nothing
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts = s.hosts [ "etcd-01" "etcd-02" ] {
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
      selector.tags = [ "etdc" ];
      maxInFlight = 1;
    }
  ];
}).resolved
