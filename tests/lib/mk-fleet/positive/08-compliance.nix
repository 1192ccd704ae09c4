# The compliance shorthand and its refinements (RFC-0007 §3.6–§3.7), with
# the book's own example: a fleet-wide observe window for nis2-essential
# with an always-enforced control, audit-tagged hosts back to enforce, and a
# Darwin host (aether) exempted at host scope. The static gate evaluates
# every enabled control: hosts with an enforce-mode framework carry a
# hardened configuration; lab-01 (cis-level1 in observe) does not, and its
# failures are recorded in complianceFindings without refusing.
#   mode              most specific non-null: host > channel entry > tag > fleet,
#                     else the channel's compliance.mode
#   reason            most specific non-empty
#   controlOverrides  per control id, most specific scope replaces the entry
#   iso27001          refined at fleet scope but enabled by no channel:
#                     silently ignored (channel scope is the source of truth)
#   anssi-bp028       an explicit { name, mode } channel entry beats the
#                     broader tag refinement
#   evidence-nis2-essential declared at fleet scope too: the synthesised
#                     channel-scope probe shadows it (a warning)
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts = {
    web-01 = s.host "web-01" {
      configuration = s.hardened "web-01" { };
      channel = "stable";
      tags = [ "web" ];
    };
    audit-01 = s.host "audit-01" {
      configuration = s.hardened "audit-01" { };
      channel = "stable";
      tags = [ "audit" ];
    };
    aether = s.host "aether" {
      configuration = s.hardened "aether" { };
      system = "aarch64-darwin";
      channel = "stable";
      tags = [ "audit" ];
      compliance.frameworks.nis2-essential = {
        mode = "disabled";
        reason = "Aether is a Darwin developer host: no NixOS compliance collector";
      };
    };
    lab-01 = s.host "lab-01" {
      channel = "edge";
      tags = [ "audit" ];
    };
  };
  compliance.frameworks = {
    nis2-essential = {
      mode = "observe";
      reason = "Q2 audit window: observe mode while collectors stabilise";
      controlOverrides.ssh-root-login-disabled = {
        mode = "enforce";
        reason = "Always-enforce, even during observe window";
      };
      controlOverrides.audit-logging = {
        mode = "observe";
        reason = "auditd rules being rolled out";
      };
    };
    iso27001.mode = "enforce";
  };
  tags.audit.compliance.frameworks = {
    nis2-essential = {
      mode = "enforce";
      reason = "Audit-tagged hosts: always-enforce";
      controlOverrides.audit-logging = {
        mode = "enforce";
        reason = "auditors read the logs";
      };
    };
    anssi-bp028.mode = "observe";
  };
  healthChecks.evidence-nis2-essential = {
    kind = "evidence";
    framework = "nis2-essential";
    intervalSeconds = 60;
    mode = "enforce";
  };
  channels = {
    stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      compliance.frameworks = [
        "nis2-essential"
        {
          name = "anssi-bp028";
          mode = "enforce";
          reason = "ANSSI applies to every stable host";
        }
      ];
    };
    edge = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      compliance = {
        frameworks = [ "cis-level1" ];
        mode = "observe";
      };
    };
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
