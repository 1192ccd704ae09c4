# An irrevocable value is a string, an integer or a boolean (or { value;
# sensitive; }): a list is a type error of the fleet description.
# expect: hosts.web-01.irrevocable.region
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    irrevocable.region = [ "eu-west" ];
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
