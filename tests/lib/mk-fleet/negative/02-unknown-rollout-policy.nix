# A channel naming a rollout policy the fleet does not declare.
# expect: fleet: channels.stable.rolloutPolicy: unknown rollout policy "canary-conservativ"; known policies: all-at-once, canary-conservative. Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "canary-conservativ";
    freshnessWindow = 1440;
  };
  rolloutPolicies = {
    all-at-once.strategy = "all-at-once";
    canary-conservative.strategy = "canary";
  };
}
