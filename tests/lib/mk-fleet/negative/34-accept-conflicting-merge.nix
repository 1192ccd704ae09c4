# Two merged fleets accepting the same warning id with different reasons.
# expect: mergeFleets: acceptWarnings.empty-budget:disruptionBudgets[0] is declared by fleets #0, #1 with different values.
{ mergeFleets, ... }:
let
  s = import ../support.nix;
  base = {
    hosts.web-01 = s.host "web-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
in
(mergeFleets [
  (base // { acceptWarnings."empty-budget:disruptionBudgets[0]" = "one reason"; })
  { acceptWarnings."empty-budget:disruptionBudgets[0]" = "another reason"; }
]).resolved
