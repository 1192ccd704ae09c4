# Contract: a Dispatch, the only message queued for an agent, returned by the
# long-poll GET /v1/agent/dispatch (RFC-0005 §4.1). Advisory: the agent acts
# only on the signed manifest and refuses on any mismatch.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    kind = opt (types.enum [ "Dispatch" ]) "Message kind." "Dispatch" { };
    rollout_id = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
    target_closure = opt t.closureHash "Advisory pointer to the manifest's targetClosure for this host." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
    channel = opt t.channelName "Channel." "stable" { };
    wave = opt t.unsigned "Wave index of the host." 0 { };
    soak_due_at = opt t.timestamp "When soak ends, if activation completes now." "2026-05-16T01:30:00Z" { };
    confirm_deadline = opt t.timestamp "Deadline for activation to complete." "2026-05-16T01:33:00Z" { };
    issued_at = opt t.timestamp "When the control plane queued the dispatch." "2026-05-16T01:27:00Z" { };
    seq = opt t.positive "Sequence number (CP side of the rollout's seq space)." 1 { };
  };
}
