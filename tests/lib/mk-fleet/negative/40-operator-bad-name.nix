# An operator name that cannot be the name of an operator certificate
# (CN=operator:<name>) is refused: no certificate could ever act as it.
# expect: fleet: operators.bad name: operator name does not match
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
  operators."bad name".role = "admin";
}).resolved
