# Contract: GET /healthz — liveness plus the alerts an operator must see
# (e.g. a refused artifact while the last verified snapshot is kept).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    status = opt (types.enum [ "ok" "degraded" "starting" ]) "ok; degraded: serving with alerts; starting: no verified fleet yet." "ok" { };
    version = opt types.str "CP version." "0.2.0" { };
    fleetSignedAt = opt (types.nullOr t.timestamp) "signedAt of the verified fleet.resolved in use." null { };
    alerts = opt (types.listOf (types.submodule (open // {
      options = {
        code = opt types.str "Stable code." "CP_ERR_ARTIFACT_REJECTED" { };
        message = opt types.str "What is wrong." "fleet.resolved refused: BadSignature; keeping the snapshot signed 2026-05-16T01:00:00Z" { };
        since = opt t.timestamp "Since when." "2026-05-16T01:10:00Z" { };
        artifact = opt (types.nullOr types.str) "Kind of the artifact the alert is about (fleet.resolved, rollout-manifest, revocations, bootstrap-nonces)." "rollout-manifest" { default = null; };
        path = opt (types.nullOr types.str) "The artifact's path in the release layout." "rollouts/stable@0123abc.json" { default = null; };
        channel = opt (types.nullOr types.str) "CP_ERR_ARTIFACT_ROLLBACK: the channel whose adopted release is newer than the refused one." "stable" { default = null; };
        refusedSignedAt = opt (types.nullOr t.timestamp) "CP_ERR_ARTIFACT_ROLLBACK: meta.signedAt of the refused (older) release." "2026-05-16T00:00:00Z" { default = null; };
        adoptedSignedAt = opt (types.nullOr t.timestamp) "CP_ERR_ARTIFACT_ROLLBACK: meta.signedAt of the newest release adopted on the channel (kept)." "2026-05-16T01:00:00Z" { default = null; };
      };
    }))) "Active alerts." [ ] { };
  };
}
