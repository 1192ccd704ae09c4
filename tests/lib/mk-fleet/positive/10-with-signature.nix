# withSignature stamps the signing envelope (meta) on every signed artifact
# of a fleet — fleet.resolved and both sidecars — after CI built it; the
# rest is unchanged.
{ mkFleet, withSignature, ... }:
let
  s = import ../support.nix;
in
withSignature
  {
    signedAt = "2026-05-16T01:00:00Z";
    ciCommit = "3f2a9c1d0e4b";
    signatureAlgorithm = "ecdsa-p256";
  }
  (mkFleet {
    hosts.attic-01 = s.host "attic-01" { channel = "stable"; };
    channels.stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
    revocations = [
      {
        hostname = "old-01";
        notBefore = "2026-05-01T00:00:00Z";
      }
    ];
  })
