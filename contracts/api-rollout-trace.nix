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
  };
}
