# Contract: a bootstrap token (RFC-0003 §4.3, CONTRACTS.md), minted by an
# operator with the org root key and presented once to POST /v1/enroll.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    version = opt (types.enum [ 1 ]) "Token format version." 1 { };
    claims = opt (types.submodule (open // {
      options = {
        hostname = opt t.hostname "Host allowed to enroll with this token." "web-01" { };
        expectedPubkeyFingerprint = opt (types.strMatching "[A-Za-z0-9+/]{43}=") "Base64 (padded) SHA-256 of the host's raw ed25519 public key; the CSR key must match." "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" { };
        issuedAt = opt t.timestamp "Minted at." "2026-05-16T01:00:00Z" { };
        expiresAt = opt t.timestamp "Expiry." "2026-05-17T01:00:00Z" { };
        nonce = opt t.nonce "Single-use nonce; must be in the signed bootstrap-nonces allowlist." "0123456789abcdef0123456789abcdef" { };
      };
    })) "Signed claims." { } { };
    signature = opt t.base64 "Base64 ed25519 signature over the JCS bytes of `claims`, by the org root key." "c2lnbmF0dXJl" { };
  };
}
