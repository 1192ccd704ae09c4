# Contract: POST /v1/rollouts/{id}/actions and POST /v1/channels/{name}/actions
# — an operator action on a rollout (docs/operators.md, "Rollout actions"),
# and the answer. The caller is the operator certificate (CN=operator:<name>);
# its role comes from the signed fleet's `operators`, never from the body.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  mark = types.submodule (open // {
    options = {
      by = opt types.str "Operator name (the certificate CN without operator:)." "alice" { };
      reason = opt types.str "The reason the operator gave." "db migration running" { };
      at = opt t.timestamp "When the action was recorded." "2026-05-16T01:27:00Z" { };
    };
  });
in
open
// {
  options = {
    action = opt (types.enum [ "pause" "resume" "abort" "approve" "clear" ]) "The action." "pause" { };
    reason = opt types.str "Why (required, 1 to 500 printable characters; shown in every view and kept in the event log)." "db migration running" { };
    rolloutId = opt (types.nullOr types.str) "In the answer: the rollout acted on (a channel action acts on the rollout holding the channel)." "stable@3f2a9c1d" { default = null; };
    outcome = opt (types.nullOr (types.enum [ "applied" "already" ])) "In the answer: applied (an event was recorded) or already (the action already held; nothing recorded)." "applied" { default = null; };
    message = opt (types.nullOr types.str) "In the answer: what happened, for people." "stable@3f2a9c1d paused" { default = null; };
    operator = opt (types.nullOr types.str) "In the answer: the operator name from the certificate." "alice" { default = null; };
    state = opt (types.nullOr (types.submodule (open // {
      options = {
        rollout = opt types.str "The rollout reducer's state." "Active" { };
        currentWave = opt t.unsigned "Current wave." 1 { };
        paused = opt (types.nullOr mark) "The pause in force, if any." null { };
        aborted = opt (types.nullOr mark) "The abort, if any (final)." null { };
        approvals = opt (types.listOf (types.submodule (open // {
          options = {
            wave = opt t.unsigned "Approved wave." 1 { };
            by = opt types.str "Operator name." "alice" { };
            reason = opt types.str "Reason." "canary healthy for a day" { };
            at = opt t.timestamp "When." "2026-05-16T01:27:00Z" { };
          };
        }))) "Approvals of manual waves." [ ] { };
      };
    }))) "In the answer: the rollout's operator marks after the action." null { default = null; };
  };
}
