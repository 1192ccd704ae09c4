# A wave that needs no soaked host would promote on no evidence: minSoaked is
# a positive integer, and waitForNeverSeenMinutes is not negative.
# expect: rolloutPolicies.canary.waves[0].minSoaked: expected positive integer
# expect: rolloutPolicies.canary.waves[0].waitForNeverSeenMinutes: expected unsigned integer
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      {
        selector.all = true;
        minSoaked = 0;
        waitForNeverSeenMinutes = -1;
      }
    ];
  };
}
