# Contract: GET /v1/hosts — one row per host of the verified fleet.resolved,
# joined with the host's latest rollout record and liveness. What
# `nixfleet status` renders.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  a = import ./_api.nix { inherit lib; };
  inherit (t) opt open;
  nts = types.nullOr t.timestamp;
  nclosure = types.nullOr t.closureHash;
in
open
// {
  options = {
    generatedAt = opt t.timestamp "When the CP produced this view." "2026-05-16T01:30:00Z" { };
    hosts = opt (types.listOf (types.submodule (open // {
      options = {
        hostname = opt t.hostname "Host." "web-01" { };
        channel = opt t.channelName "Channel." "stable" { };
        declaredClosure = opt nclosure "Closure the verified fleet.resolved declares." null { };
        currentClosure = opt nclosure "Closure the agent last reported running." null { };
        rolloutId = opt (types.nullOr t.rolloutId) "Host's latest rollout." null { };
        state = opt (types.nullOr a.hostState) "State of the host in its latest rollout (RFC-0005 §3)." "Soaking" { };
        stateSince = opt nts "When the host entered that state (agent-reported time)." null { };
        lastSeenAt = opt nts "Last heartbeat or event." null { };
        reachable = opt types.bool "False after three missed heartbeats." true { };
        pendingReboot = opt types.bool "Activation deferred until reboot (dbus/systemd/kernel/init changed)." false { };
        quarantinedClosure = opt nclosure "Closure the agent refuses to retry (last 24 h)." null { };
        failingEnforceProbes = opt (types.listOf types.str) "Enforce-mode probes currently failing." [ ] { };
        pin = opt (types.nullOr (t.pin { withDefaults = false; })) "Resolved pin, if any." null { };
        agentVersion = opt (types.nullOr types.str) "Agent version from the last heartbeat." "0.2.0" { };
        enrollRefusal = opt (types.nullOr (types.submodule (open // {
          options = {
            code = opt types.str "CP_ERR_* code of the latest refused enrollment claiming this hostname." "CP_ERR_NONCE_NOT_ALLOWED" { };
            message = opt types.str "Why it was refused (at most 200 characters)." "token nonce is not in the signed bootstrap-nonces allowlist" { };
            at = opt t.timestamp "When the latest refusal happened (CP time)." "2026-05-16T01:27:00Z" { };
            firstAt = opt t.timestamp "When the first refusal since the CP started, or since the host last enrolled, happened." "2026-05-16T01:02:00Z" { };
            count = opt t.positive "Refusals since firstAt." 12 { };
          };
        }))) "The latest refused enrollment claiming this hostname since the CP started, cleared when the host enrolls; null when none." null { default = null; };
      };
    }))) "Hosts, sorted by hostname." [ ] { };
  };
}
