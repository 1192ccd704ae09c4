# Contract: GET /v1/channels/{name} — a channel's policy, the freshness of its
# signed artifact, its active and queued rollouts, and quarantined closures.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    name = opt t.channelName "Channel." "stable" { };
    rolloutPolicy = opt types.str "Rollout policy." "canary" { };
    freshnessWindow = opt t.positive "Freshness window (minutes)." 1440 { };
    artifactSignedAt = opt (types.nullOr t.timestamp) "signedAt of the verified fleet.resolved." null { };
    artifactCiCommit = opt (types.nullOr types.str) "ciCommit of the verified fleet.resolved." null { };
    activeRollout = opt (types.nullOr t.rolloutId) "Active rollout." null { };
    queuedRollout = opt (types.nullOr t.rolloutId) "Newer ref waiting for the active rollout (depth ≤ 1)." null { };
    hosts = opt (types.listOf types.str) "Hosts on the channel." [ ] { };
    quarantinedClosures = opt (types.listOf (types.submodule (open // {
      options = {
        closure = opt t.closureHash "Closure." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
        since = opt t.timestamp "Quarantined since." "2026-05-16T01:28:40Z" { };
        rolloutId = opt (types.nullOr t.rolloutId) "Rollout that reverted it, when the CP still knows (null after a rebuild from empty state)." "stable@3f2a9c1d" { };
      };
    }))) "Closures the channel will not dispatch." [ ] { };
  };
}
