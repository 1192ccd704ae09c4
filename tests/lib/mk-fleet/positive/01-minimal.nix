# The smallest useful fleet: one host, one channel, the default all-at-once
# wave. Shows every default mkFleet fills (closureHash/pubkey null, no pin
# key, reconcile 30 / signing 60, compliance { [] enforce }, meta nulls).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.attic-01 = s.host "attic-01" {
    channel = "stable";
    tags = [
      "homelab"
      "eu-fr"
    ];
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
