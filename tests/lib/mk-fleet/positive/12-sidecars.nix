# The signed-sidecar projections for the release step: revocations sorted by
# hostname then notBefore, bootstrap nonces sorted by nonce, nullable fields
# present as null, meta left unsigned (nulls).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.agent-01 = s.host "agent-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  revocations = [
    {
      hostname = "ezra-b";
      notBefore = "2026-04-05T00:00:00Z";
      reason = "phantom agent with a bad token";
      revokedBy = "timmy@example.org";
    }
    {
      hostname = "bezalel-b";
      notBefore = "2026-04-05T00:00:00Z";
      reason = "phantom agent with a bad token";
    }
    {
      hostname = "bezalel-b";
      notBefore = "2026-04-01T00:00:00Z";
    }
  ];
  bootstrapNonces = [
    {
      nonce = "ffeeddccbbaa99887766554433221100";
      hostname = "agent-02";
      expiresAt = "2026-06-01T00:00:00Z";
      mintedAt = "2026-05-01T00:00:00Z";
      mintedBy = "timmy@example.org";
    }
    {
      nonce = "0123456789abcdef0123456789abcdef";
      hostname = "agent-01";
      expiresAt = "2026-06-01T00:00:00Z";
    }
  ];
}
