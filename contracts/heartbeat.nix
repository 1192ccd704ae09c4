# Contract: POST /v1/agent/heartbeat body (RFC-0005 §4.3). Liveness and drift
# detection only; never advances a state machine.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    hostname = opt t.hostname "Reporting host (must equal the certificate CN)." "web-01" { };
    agent_version = opt types.str "Agent version." "0.2.0" { };
    current_closure = opt (types.nullOr t.closureHash) "Basename of the current-system link (null before the first generation)." null { };
    uptime_secs = opt t.unsigned "Agent uptime in seconds." 3600 { };
    last_event_seq_by_rollout = opt (types.attrsOf t.unsigned) "Highest seq sent per rollout id." { "stable@3f2a9c1d" = 14; } { };
    at = opt t.timestamp "Agent clock at sending." "2026-05-16T01:30:00Z" { };
  };
}
