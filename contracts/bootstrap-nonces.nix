# Contract: bootstrap-nonces.json, the signed allowlist of bootstrap-token
# nonces /v1/enroll accepts (RFC-0003 §4.5, CONTRACTS.md). The release step
# drops entries whose expiresAt is before signedAt.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the shape." 1 { };
    bootstrapNonces = opt (types.listOf (types.submodule (open // {
      options = {
        nonce = opt t.nonce "Nonce (32 hex characters)." "0123456789abcdef0123456789abcdef" { };
        hostname = opt t.hostname "Host the token was minted for." "web-01" { };
        expiresAt = opt t.timestamp "Expiry." "2026-06-01T00:00:00Z" { };
        mintedAt = opt (types.nullOr t.timestamp) "Minted at." null { };
        mintedBy = opt (types.nullOr types.str) "Minted by." null { };
      };
    }))) "Allowed nonces." [ ] { };
    meta = opt (import ./_meta.nix { inherit lib; }) "Signing envelope." { } { };
  };
}
