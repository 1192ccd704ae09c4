# Contract: the payload of one control-plane notification (docs/control-plane.md
# "Notifications"): the JSON published on NATS
# (`nixfleet.events.<channel>.<kind>`), carried in a Matrix message's
# `org.nixfleet.notification` field, and POSTed to a webhook. `id` is the
# dedupe id: every delivery of one notification, retries included, carries
# the same one.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Payload version." 1 { };
    id = opt (types.strMatching "[A-Za-z0-9_.:@-]{1,200}") "Dedupe id: equal across retries and sinks of one notification (Matrix txnId, webhook X-Nixfleet-Delivery)." "host_failed:stable@3f2a9c1d:agent-01:1779000000000" { };
    kind = opt (types.enum [
      "rollout_opened"
      "wave_promoted"
      "rollout_held"
      "rollout_halted"
      "rollout_reverted"
      "rollout_converged"
      "host_failed"
      "host_rolled_back"
      "host_enrolled"
      "trust_alert"
      "rollout_paused"
      "rollout_resumed"
      "rollout_aborted"
      "wave_approved"
      "rollout_cleared"
    ]) "What happened (the last token of the NATS subject)." "host_failed" { };
    severity = opt (types.enum [ "info" "warning" "critical" ]) "How urgently an operator should look." "critical" { };
    channel = opt (types.nullOr t.channelName) "The rollout's channel; null for fleet-wide events (subject token `_fleet`)." "stable" { };
    rolloutId = opt (types.nullOr t.rolloutId) "The rollout, when the event belongs to one." "stable@3f2a9c1d" { };
    hostname = opt (types.nullOr t.hostname) "The host, when the event is about one." "agent-01" { };
    occurredAt = opt t.timestamp "When the control plane recorded the event." "2026-05-16T01:27:00Z" { };
    summary = opt types.str "One human-readable line (the Matrix message body)." "host agent-01 failed on stable@3f2a9c1d (rollback-and-halt)" { };
    details = opt (types.attrsOf types.anything) "Kind-specific fields (docs/control-plane.md \"Notifications\")." { wave = 0; } { };
  };
}
