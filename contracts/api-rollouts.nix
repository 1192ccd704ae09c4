# Contract: GET /v1/rollouts — rollouts with wave progress and budget usage;
# what `nixfleet rollout list` and the rollout view render.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  a = import ./_api.nix { inherit lib; };
  inherit (t) opt open;
  n = t.unsigned;
in
open
// {
  options = {
    generatedAt = opt t.timestamp "When the CP produced this view." "2026-05-16T01:30:00Z" { };
    rollouts = opt (types.listOf (types.submodule (open // {
      options = {
        rolloutId = opt t.rolloutId "Rollout id." "stable@3f2a9c1d" { };
        displayName = opt types.str "Label." "stable@3f2a9c1" { };
        channel = opt t.channelName "Channel." "stable" { };
        state = opt a.rolloutState "Rollout state (RFC-0008 §3)." "Active" { };
        openedAt = opt (types.nullOr t.timestamp) "When it opened." null { };
        terminalAt = opt (types.nullOr t.timestamp) "When it ended." null { };
        currentWave = opt (types.nullOr n) "Wave being rolled out (null before opening or after the end)." 0 { };
        waves = opt (types.listOf (types.submodule (open // {
          options = {
            index = opt n "Wave index." 0 { };
            soakMinutes = opt n "Soak of the wave." 30 { };
            hosts = opt n "Hosts in the wave." 2 { };
            pending = opt n "Not yet dispatched or acked." 0 { };
            inFlight = opt n "Activating or Soaking." 1 { };
            converged = opt n "Converged." 1 { };
            failed = opt n "Failed or Reverted." 0 { };
            deferred = opt n "Awaiting reboot." 0 { };
          };
        }))) "Per-wave progress." [ ] { };
        hold = opt (types.nullOr (types.submodule (open // {
          options = {
            kind = opt (types.enum [ "aborted" "halted" "paused" "awaiting-approval" ]) "What holds it (docs/operators.md, Rollout actions)." "paused" { };
            by = opt (types.nullOr types.str) "Operator name; (control-plane) for the pause a channel's first rollout on a database opens with; null when no one acted." "alice" { };
            reason = opt types.str "Why." "db migration running" { };
            since = opt (types.nullOr t.timestamp) "Since when." "2026-05-16T01:26:00Z" { };
            next = opt types.str "What moves it on." "nixfleet rollout resume stable@3f2a9c1d" { };
          };
        }))) "What keeps the rollout from moving on besides the usual gates (null: nothing)." null { default = null; };
        budgets = opt (types.listOf (types.submodule (open // {
          options = {
            label = opt types.str "Budget label (its selector)." "tags=etcd" { };
            inFlight = opt n "Covered hosts in flight across active rollouts." 1 { };
            limit = opt t.positive "Effective limit." 1 { };
          };
        }))) "Disruption budgets covering the rollout." [ ] { };
      };
    }))) "Rollouts, newest first." [ ] { };
  };
}
