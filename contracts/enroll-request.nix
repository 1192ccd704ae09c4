# Contract: POST /v1/enroll body (RFC-0003 §4.3, CONTRACTS.md).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    token = opt (types.attrsOf types.anything) "The bootstrap token (validated against the bootstrap-token contract)." { } { };
    csrPem = opt types.str "PKCS#10 CSR, PEM-encoded (parsed and checked by the route) whose key is the host's ed25519 SSH host key." "-----BEGIN CERTIFICATE REQUEST-----\n…" { };
  };
}
