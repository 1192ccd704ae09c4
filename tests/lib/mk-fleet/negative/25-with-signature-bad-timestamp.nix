# withSignature validates the envelope against contracts/_meta.nix.
# expect: withSignature: meta.signedAt: "2026-05-16 01:00" does not match the pattern
{ mkFleet, withSignature, ... }:
let
  s = import ../support.nix;
in
withSignature
  {
    signedAt = "2026-05-16 01:00";
    ciCommit = "3f2a9c1d";
  }
  (mkFleet {
    hosts.web-01 = s.host "web-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  })
