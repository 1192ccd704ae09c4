# Contract: the body the control plane answers POST /v1/agent/heartbeat with
# (RFC-0005 §4.3). Advisory like a Dispatch: the agent acts on it only within
# its signed manifest and its own previous generation.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    replayFrom = opt (types.nullOr types.str) "Rollout id whose events the agent should resend (the control plane lost them), null when none." null { };
    nextHeartbeatSecs = opt t.unsigned "When to send the next heartbeat." 30 { };
    abortedRollouts = opt (types.listOf t.rolloutId) "Rollouts among the heartbeat's last_event_seq_by_rollout that an operator aborted. An agent whose current rollout is listed applies its signed manifest's onHealthFailure as for a failed wave; any other id is ignored (docs/design/operator-actions.md)." [ "stable@3f2a9c1d" ] { default = [ ]; };
  };
}
