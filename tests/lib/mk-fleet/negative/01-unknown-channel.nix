# A host on a channel the fleet does not declare.
# expect: fleet: hosts.web-01.channel: unknown channel "stabel"; known channels: edge, stable. Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
  ch = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
in
(mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stabel"; };
  channels = {
    stable = ch;
    edge = ch;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
