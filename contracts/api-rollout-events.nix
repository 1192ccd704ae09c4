# Contract: GET /v1/rollouts/{id}/events[?after=<seq>] — the rollout's event
# log (agent events as received, CP transitions), oldest first. `--follow`
# polls with `after` = the last seq seen.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    rolloutId = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
    events = opt (types.listOf (types.submodule (open // {
      options = {
        seq = opt types.ints.positive "Event-log sequence number (global, increasing)." 42 { };
        at = opt t.timestamp "Event time (agent-supplied for agent events)." "2026-05-16T01:27:05Z" { };
        hostname = opt (types.nullOr types.str) "Host, for host events." "web-01" { };
        kind = opt types.str "Event kind (e.g. ActivationComplete, WavePromoted)." "ActivationComplete" { };
        payload = opt types.anything "The event body." { } { };
      };
    }))) "Events, oldest first." [ ] { };
  };
}
