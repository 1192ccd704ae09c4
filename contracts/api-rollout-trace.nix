# Contract: GET /v1/rollouts/{id}/trace — the planner's recent decisions for a
# rollout, newest first: "why didn't this host upgrade yet?" from decisions.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  a = import ./_api.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    rolloutId = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
    decisions = opt (types.listOf a.decision) "Decisions, newest first." [ ] { };
    pacing = opt (types.nullOr (types.submodule (open // {
      options = {
        heldDispatches = opt t.unsigned "Dispatches of this rollout the planner cleared but admission control holds back." 6543 { };
        dispatchRatePerSec = opt t.unsigned "Rate at which the CP releases held dispatches, fleet-wide (hosts per second)." 150 { };
      };
    }))) "Admission control (docs/control-plane.md, Dispatch pacing): the CP releases planned dispatches no faster than it can absorb the events they bring. Null when none of this rollout's dispatches are held." null { };
  };
}
