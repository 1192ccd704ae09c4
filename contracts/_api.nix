# Shared pieces of the operator API contracts (api-*.nix): the shapes the
# control plane's read routes return and the CLI/TUI consume.
{ lib }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
{
  hostState = types.enum [ "Pending" "Activating" "Deferred" "Soaking" "Converged" "Failed" "Reverted" ];
  rolloutState = types.enum [ "Opening" "Active" "Converging" "Terminal" "Reverted" "Failed" "Superseded" "Pruned" ];

  # RFC-0002 §7 decision record, exactly as ts/core produces it.
  decision =
    types.submodule (open // {
      options = {
        ts = opt t.timestamp "Time of the tick that took the decision." "2026-05-16T01:27:00Z" { };
        decision = opt (types.enum [ "open" "dispatch" "hold" "skip" "promote" "complete" "halt" "prune" "clear-quarantine" ]) "What the planner decided." "hold" { };
        code = opt (types.enum [
          "ROLLOUT_OPENED" "SUPERSESSION_QUEUED" "MANIFEST_MISSING"
          "CHANNEL_EDGE_PREDECESSOR_ACTIVE" "CHANNEL_EDGE_PREDECESSOR_HALTED" "CHANNEL_EDGE_PREDECESSOR_PENDING"
          "DISPATCHED" "DISPATCHED_CATCH_UP" "DISPATCHED_UNCHANGED" "WAVE_NOT_ACTIVE" "WAVE_PROMOTED" "WAVE_HELD" "ROLLOUT_COMPLETE"
          "WAVE_TOO_FEW_SOAKED" "WAVE_AWAITING_NEVER_SEEN" "WAVE_NO_ENFORCE_PROBES"
          "HOST_EDGE_PREDECESSOR" "BUDGET_SATURATED" "QUARANTINED" "OFFLINE" "ROLLOUT_HALTED" "AWAITING_ACK"
          "ACTIVATING" "DEFERRED_AWAITING_REBOOT" "SOAKING" "HOST_FAILED" "HOST_REVERTED" "RETENTION_EXPIRED"
          "QUARANTINE_STALE" "DISPATCH_PACED"
          "OPERATOR_PAUSED" "OPERATOR_ABORTED" "AWAITING_APPROVAL"
        ]) "Stable reason code (docs/rollouts.md); branch on it, never on `reason`." "BUDGET_SATURATED" { };
        gate = opt (types.nullOr (types.enum [ "channel-edges" "supersession" "wave-promotion" "host-edges" "disruption-budget" "quarantine" "offline" "health" "admission-control" "operator" ])) "Gate that produced it (null: host progress, not a gate)." "disruption-budget" { };
        channel = opt types.str "Channel." "stable" { };
        rollout = opt (types.nullOr types.str) "Rollout id." "stable@3f2a9c1d" { };
        wave = opt (types.nullOr t.unsigned) "Wave index." 1 { };
        host = opt (types.nullOr types.str) "Host." "etcd-2" { };
        transition = opt (types.nullOr types.str) "e.g. `(none) -> Pending`, `wave 0 -> wave 1`; null for holds." null { };
        reason = opt types.str "Human-readable explanation." "held: budget tags=etcd 1/1 in flight" { };
        budgets = opt (types.nullOr (types.attrsOf types.str)) "Budget usage by budget label." { "tags=etcd" = "1/1 in flight"; } { };
      };
    })
    // {
      schemaName = "Decision";
    };
}
