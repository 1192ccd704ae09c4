# Contract: revocations.json, the signed agent-certificate revocation list
# (RFC-0003 §4.5, CONTRACTS.md). Same key and freshness rules as fleet.resolved.
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
    revocations = opt (types.listOf (types.submodule (open // {
      options = {
        hostname = opt t.hostname "Host whose certificates are revoked." "web-01" { };
        notBefore = opt t.timestamp "Certificates issued before this instant are refused." "2026-05-01T00:00:00Z" { };
        reason = opt (types.nullOr types.str) "Why." null { };
        revokedBy = opt (types.nullOr types.str) "Who." null { };
      };
    }))) "Revocations." [ ] { };
    meta = opt (import ./_meta.nix { inherit lib; }) "Signing envelope." { } { };
  };
}
