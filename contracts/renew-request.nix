# Contract: POST /v1/agent/renew body (mTLS; CONTRACTS.md).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options.csrPem = opt (types.strMatching "-----BEGIN CERTIFICATE REQUEST-----(.|\n)*") "PKCS#10 CSR (PEM) for the same host key." "-----BEGIN CERTIFICATE REQUEST-----\n…" { };
}
