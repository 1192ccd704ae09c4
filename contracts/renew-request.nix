# Contract: POST /v1/agent/renew body (mTLS; CONTRACTS.md).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options.csrPem = opt types.str "PKCS#10 CSR, PEM-encoded (parsed and checked by the route) for the same host key." "-----BEGIN CERTIFICATE REQUEST-----\n…" { };
}
