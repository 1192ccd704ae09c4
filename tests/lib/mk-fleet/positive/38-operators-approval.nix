# Operators with their roles, a policy whose second wave waits for an
# operator's approval and whose halted rollouts an operator may clear: all
# carried into the signed fleet.resolved (operators, waves[].approval,
# rolloutPolicies.*.operatorClear).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.canary-01 = s.host "canary-01" {
    channel = "stable";
    tags = [ "canary" ];
  };
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "gated";
    freshnessWindow = 1440;
  };
  rolloutPolicies.gated = {
    strategy = "canary";
    operatorClear = true;
    waves = [
      { selector.tags = [ "canary" ]; }
      {
        selector.all = true;
        approval = "manual";
      }
    ];
  };
  operators = {
    alice.role = "admin";
    "bob.ops@example".role = "operator";
    carol.role = "viewer";
  };
}
