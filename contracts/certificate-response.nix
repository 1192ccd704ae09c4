# Contract: the response of POST /v1/enroll and POST /v1/agent/renew.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    certPem = opt types.str "Issued client certificate (PEM)." "-----BEGIN CERTIFICATE-----\n…" { };
    notAfter = opt t.timestamp "Expiry of the certificate." "2026-05-23T01:00:00Z" { };
  };
}
