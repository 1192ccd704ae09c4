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
    probeFailures = opt (types.listOf (types.submodule (open // {
      options = {
        rolloutId = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
        hostname = opt t.hostname "Host whose probe failed." "web-01" { };
        probe = opt types.str "Probe name." "compliance-nis2" { };
        controlId = opt (types.nullOr types.str) "Failing control of an evidence probe (one row per failing control); null for a probe without per-control results." "ssh-no-password" { };
        framework = opt (types.nullOr types.str) "Framework of the failing control; null when controlId is null." "nis2" { };
        article = opt (types.nullOr types.str) "The control's article in that framework, when the agent named one." "art. 21(2)(j)" { };
        reason = opt (types.nullOr types.str) "The probe's failure text (failure_reason), when the agent gave one." "1 control(s) failing for nis2" { };
        observedAt = opt t.timestamp "When the agent observed the failure." "2026-05-16T01:27:05Z" { };
        eventLogSeq = opt (types.nullOr t.unsigned) "event_log row of the signed ProbeResult (verify with /v1/rollouts/{id}/events)." 42 { };
      };
    }))) "Probe failures of this rollout, oldest first: the CP's probe_failures view, one row per failing control of an evidence probe (docs/compliance.md)." [ ] { default = [ ]; };
  };
}
