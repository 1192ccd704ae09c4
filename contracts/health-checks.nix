# Contract: /etc/nixfleet/agent/health-checks.json, the host's effective probe
# set rendered from mkFleet's multi-scope merge (RFC-0007 §4–§5). Every field
# present; the closure hash transitively signs it.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the file." 1 { };
    hostname = opt t.hostname "Host the probe set was resolved for." "web-01" { };
    probes = opt (types.attrsOf (t.probe { resolved = true; })) "Effective probes, by name." { } { };
  };
}
