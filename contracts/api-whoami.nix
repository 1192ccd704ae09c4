# Contract: GET /v1/whoami — the identity the CP derived from the client certificate.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    cn = opt types.str "Certificate common name." "web-01" { };
    role = opt (types.enum [ "agent" "operator" ]) "operator: the CN is operator:<name> (nixfleet mint-operator-cert); agent: any other CN, which names the host it speaks for." "agent" { };
    notAfter = opt t.timestamp "Certificate expiry." "2026-05-23T01:00:00Z" { };
  };
}
