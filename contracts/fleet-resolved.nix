# Contract: fleet.resolved.json, schemaVersion 1 (RFC-0001 §4.1, CONTRACTS.md).
# Produced by mkFleet + `nixfleet release`; consumed by the control plane and
# agents after signature verification. Every key is present (null when
# unset) except a host's `pin`, present only when a pin applies. Open:
# consumers ignore unknown fields.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  selector = t.selector { normalized = true; };
  meta = import ./_meta.nix { inherit lib; };
  strs = types.listOf types.str;
  edge = types.submodule (open // {
    options = {
      before = opt types.str "Predecessor." "db-primary" { };
      after = opt types.str "Successor." "app-01" { };
      reason = opt (types.nullOr types.str) "Why." null { };
    };
  });
  # Irrevocable values (docs/fleet-authors.md, docs/auditor.md): additive,
  # absent in releases signed before they existed.
  irrevocable = import ./_irrevocable.nix { inherit lib; };
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the fleet.resolved shape." 1 { };
    hosts = opt (types.attrsOf (types.submodule (open // {
      options = {
        system = opt types.str "Platform." "x86_64-linux" { };
        tags = opt strs "Tags." [ "web" ] { };
        channel = opt t.channelName "Channel." "stable" { };
        closureHash = opt (types.nullOr t.closureHash) "Basename of the host's toplevel store path; null until the release step builds it." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
        pubkey = opt (types.nullOr types.str) "OpenSSH public host key." null { };
        pin = opt (types.nullOr (t.pin { withDefaults = false; })) "Resolved pin (host > tag > channel); the key is present only when a pin applies." null { default = null; };
        irrevocable = irrevocable.valuesOpt;
      };
    }))) "Hosts, by name." { } { };
    channels = opt (types.attrsOf (types.submodule (open // {
      options = {
        rolloutPolicy = opt types.str "Rollout policy name." "canary" { };
        freshnessWindow = opt t.positive "Maximum artifact age (minutes)." 1440 { };
        signingIntervalMinutes = opt t.positive "Re-signing interval (minutes)." 60 { };
        compliance = opt (types.submodule (open // {
          options = {
            frameworks = opt strs "Enabled frameworks." [ "anssi-bp028" ] { };
            mode = opt t.probeMode "Default evidence-probe mode." "enforce" { };
          };
        })) "Compliance." { } { };
      };
    }))) "Channels, by name." { } { };
    rolloutPolicies = opt (types.attrsOf (types.submodule (open // {
      options = {
        strategy = opt types.str "Strategy." "canary" { };
        waves = opt (types.listOf (types.submodule (open // {
          options = {
            selector = opt selector "Normalised selector." { } { };
            soakMinutes = opt t.unsigned "Soak (minutes)." 30 { };
            minSoaked = opt t.positive "Members that must have soaked before promotion (1 when absent)." 1 { default = 1; };
            waitForNeverSeenMinutes = opt (types.nullOr t.unsigned) "Minutes a never-seen member holds the wave (null: indefinitely)." null { default = null; };
            allowNoEnforceProbes = opt types.bool "Whether the wave may be promoted with no enforce probe declared (false when absent)." false { default = false; };
            approval = opt (types.enum [ "auto" "manual" ]) "Whether the wave waits for an operator's approval before it starts (auto when absent)." "auto" { default = "auto"; };
          };
        }))) "Waves." [ ] { };
        healthGate = opt (t.healthGate { input = false; }) "Health gate (contracts/_types.nix)." { systemdFailedUnits = null; } { };
        onHealthFailure = opt (types.enum [ "halt" "rollback-and-halt" ]) "Failure policy." "rollback-and-halt" { };
        operatorClear = opt types.bool "Whether an operator may clear a Failed or Reverted rollout (false when absent)." false { default = false; };
      };
    }))) "Rollout policies, by name." { } { };
    waves = opt (types.attrsOf (types.listOf (types.submodule (open // {
      options = {
        hosts = opt strs "Hosts of the wave, sorted." [ "canary-01" ] { };
        soakMinutes = opt t.unsigned "Soak (minutes)." 30 { };
        minSoaked = opt t.positive "Members that must have soaked before promotion (1 when absent)." 1 { default = 1; };
        waitForNeverSeenMinutes = opt (types.nullOr t.unsigned) "Minutes a never-seen member holds the wave (null: indefinitely)." null { default = null; };
        allowNoEnforceProbes = opt types.bool "Whether the wave may be promoted with no enforce probe declared (false when absent)." false { default = false; };
        approval = opt (types.enum [ "auto" "manual" ]) "Whether the wave waits for an operator's approval before it starts (auto when absent)." "auto" { default = "auto"; };
      };
    })))) "Waves resolved per channel at eval time." { } { };
    operators = opt (types.attrsOf (types.submodule (open // {
      options = {
        role = opt (types.enum [ "viewer" "operator" "admin" ]) "Role (docs/operators.md, Roles)." "operator" { };
      };
    }))) "Operators by certificate name (CN=operator:<name>); empty when absent: the control plane then refuses every operator action." { } { default = { }; };
    edges = opt (types.listOf edge) "Host ordering edges." [ ] { };
    channelEdges = opt (types.listOf edge) "Channel ordering edges." [ ] { };
    disruptionBudgets = opt (types.listOf (types.submodule (open // {
      options = {
        selector = opt selector "Selector (resolved per rollout)." { } { };
        maxInFlight = opt (types.nullOr t.positive) "Absolute limit." 1 { };
        maxInFlightPct = opt (types.nullOr (types.ints.between 1 100)) "Percentage limit." null { };
      };
    }))) "Disruption budgets, selectors carried through." [ ] { };
    irrevocableAcceptances = opt (types.listOf irrevocable.acceptance) "Accepted changes of irrevocable values (`nixfleet release --accept-irrevocable-change host:name`), each kept in every later release while the host's value is still the accepted one." [ ] { default = [ ]; };
    # Static compliance gate record (book §1.6; lib/compliance/gate.nix).
    complianceFindings = opt (types.attrsOf (types.submodule (open // {
      options = {
        passed = opt strs "Ids of the controls whose static evaluation passed, sorted." [ "firewall-enabled" "ssh-root-login-disabled" ] { };
        failed = opt (types.attrsOf (types.submodule (open // {
          options = {
            mode = opt t.probeMode "Effective mode of the control: the strictest of its enabled frameworks' modes after per-control overrides (always observe: an enforce failure refuses the release)." "observe" { };
            frameworks = opt (types.attrsOf strs) "Enabled frameworks the control belongs to, with its articles in each." { anssi-bp028 = [ "R33" ]; } { };
            evidence = opt (types.attrsOf types.anything) "Option values the verdict rests on, by option path (secrets are never copied: names only)." { "services.openssh.settings.PermitRootLogin" = "yes"; } { };
            reason = opt (types.nullOr types.str) "Reason of the refinement or override that set the mode (audit annotation)." "Q2 audit window" { };
          };
        }))) "Controls that failed and were released (observe mode), by id." { } { };
        disabled = opt (types.attrsOf (types.submodule (open // {
          options = {
            frameworks = opt (types.attrsOf strs) "Enabled frameworks the control belongs to, with its articles in each." { nis2-essential = [ "art.21(2)(h)" ]; } { };
            reason = opt (types.nullOr types.str) "Reason of the override that disabled it." "no disk on this VM" { };
          };
        }))) "Controls not evaluated (mode disabled by an override), by id." { } { };
      };
    }))) "Static compliance gate record (lib/compliance/gate.nix), by host: every control of every framework the host's channel enables. Hosts whose channel enables none have no entry." { } { default = { }; };
    meta = opt meta "Signing envelope." { schemaVersion = 1; signedAt = null; ciCommit = null; } { };
  };
}
