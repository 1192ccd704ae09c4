# Contract: a rollout manifest, releases/rollouts/<rolloutId>.json,
# schemaVersion 1 (Boundary contracts §I.8, RFC-0002 §4.4, CONTRACTS.md).
# The frozen topology of one rollout, signed by CI. Beyond CONTRACTS.md's
# field list it carries `onHealthFailure`, `freshnessWindow` and `waves`
# (additive): the agent decides rollback, freshness and soak from signed
# bytes only, never from what the control plane tells it (RFC-0005 §2.1).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  selector = t.selector { normalized = true; };
  meta = import ./_meta.nix { inherit lib; };
  irrevocable = import ./_irrevocable.nix { inherit lib; };
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the manifest shape." 1 { };
    displayName = opt types.str "Label `<channel>@<short ci commit>`." "stable@3f2a9c1" { };
    channel = opt t.channelName "Channel of the rollout." "stable" { };
    channelRef = opt t.gitCommit "Channel ref (the CI commit) the rollout is for; rolloutId = channel@channelRef." "3f2a9c1d0e4b" { };
    fleetResolvedHash = opt t.sha256Hex "Lowercase hex SHA-256 of the canonical bytes of the projecting fleet.resolved." "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" { };
    hostSet = opt (types.listOf (types.submodule (open // {
      options = {
        hostname = opt t.hostname "Host." "web-01" { };
        waveIndex = opt t.unsigned "Wave the host belongs to." 0 { };
        targetClosure = opt t.closureHash "Closure the host must activate." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
        probes = opt (types.nullOr (types.attrsOf (t.probe { resolved = true; }))) "The probe set the release read from the target closure's etc/nixfleet/agent/health-checks.json after checking it renders every probe fleet.nix declares for the host ({} when the closure has no file and the fleet declares none). The agent runs the closure's file only when it equals this set; null (a manifest without a signed probe declaration) is an enforce probe failure on the agent." {
          nginx = {
            kind = "http";
            url = "http://127.0.0.1/health";
            expectStatus = 200;
            bodyContains = null;
            timeoutSecs = 3;
            intervalSeconds = 30;
            mode = "enforce";
          };
        } { default = null; };
        irrevocable = irrevocable.valuesOpt;
        irrevocableAcceptances = opt (types.listOf irrevocable.acceptance) "The accepted changes of this host's irrevocable values (fleet.resolved's irrevocableAcceptances for the host); the agent refuses a target whose values differ from its current generation's unless the change is listed here." [ ] { default = [ ]; };
      };
    }))) "Hosts of the rollout, sorted by hostname." [ ] { };
    waves = opt (types.listOf (types.submodule (open // {
      options = {
        soakMinutes = opt t.unsigned "Soak of the wave (minutes)." 30 { };
        # Defaults, not required keys: a manifest signed without them still
        # verifies, and the defaults are the fail-closed values.
        minSoaked = opt t.positive "Members that must have soaked (Converged, enforce probes passing) before the wave is promoted (1 when absent)." 1 { default = 1; };
        waitForNeverSeenMinutes = opt (types.nullOr t.unsigned) "Minutes after the wave starts during which a never-seen member holds the wave (null or absent: indefinitely)." null { default = null; };
        allowNoEnforceProbes = opt types.bool "Whether the wave may be promoted when its soaked members declare no enforce probe (false when absent)." false { default = false; };
        approval = opt (types.enum [ "auto" "manual" ]) "Whether the wave's members are dispatched only after an operator approves the wave (manual), or as soon as the wave is current (auto, also when absent)." "auto" { default = "auto"; };
      };
    }))) "Wave layout, indexed by waveIndex." [ { soakMinutes = 30; minSoaked = 1; waitForNeverSeenMinutes = null; allowNoEnforceProbes = false; } ] { };
    healthGate = opt (t.healthGate { input = false; }) "Health gate of the channel's policy; the agent enforces each condition as an enforce probe." { systemdFailedUnits = null; } { };
    onHealthFailure = opt (types.enum [ "halt" "rollback-and-halt" ]) "What an agent does on sustained enforce-probe failure." "rollback-and-halt" { };
    operatorClear = opt types.bool "Whether an operator may clear this rollout once it is Failed or Reverted (false when absent: only a new release moves the channel on)." false { default = false; };
    freshnessWindow = opt t.positive "Maximum age of this manifest, in minutes (the channel's window)." 1440 { };
    complianceFrameworks = opt (types.listOf types.str) "Frameworks enabled on the channel." [ ] { };
    disruptionBudgets = opt (types.listOf (types.submodule (open // {
      options = {
        selector = opt selector "Operator intent (matched across rollouts by equality)." { } { };
        hosts = opt (types.listOf types.str) "Covered hosts, resolved at projection time, sorted." [ ] { };
        maxInFlight = opt (types.nullOr t.positive) "Absolute limit." 1 { };
        maxInFlightPct = opt (types.nullOr (types.ints.between 1 100)) "Percentage limit." null { };
      };
    }))) "Budgets resolved for this rollout." [ ] { };
    meta = opt meta "Signing envelope." { schemaVersion = 1; signedAt = "2026-05-16T01:00:00Z"; ciCommit = "3f2a9c1d0e4b"; } { };
  };
}
