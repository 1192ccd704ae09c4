# Two tags of one host declare an irrevocable value differently, and the host
# does not decide: refused.
# expect: fleet: hosts.web-01: irrevocable value "region" is declared twice at tag scope with different values (tags.eu.irrevocable.region = "eu-west", tags.us.irrevocable.region = "us-east")
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    tags = [ "eu" "us" ];
  };
  tags.eu.irrevocable.region = "eu-west";
  tags.us.irrevocable.region = "us-east";
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).irrevocable
