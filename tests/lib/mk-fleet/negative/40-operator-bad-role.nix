# A role outside viewer / operator / admin is refused by the contract.
# expect: operators.alice.role
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all.strategy = "all-at-once";
  operators.alice.role = "root";
}).resolved
