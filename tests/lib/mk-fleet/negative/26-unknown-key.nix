# The input contract is closed: a typo in a key is reported with its path.
# expect: - channels.stable.freshnesWindow: unknown option; known options here:
# expect: - channels.stable.freshnessWindow: required option is missing
# expect: fleet: 2 error(s) in the fleet description (contracts/fleet-input.nix):
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnesWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
