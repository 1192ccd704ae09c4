# Weakening a control (observe, disabled) is an exception an auditor asks
# about: it needs a reason, which the signed fleet.resolved records.
# expect: fleet: hosts.web-01.compliance.frameworks.nis2-essential.controlOverrides.firewall-enabled: mode "disabled" weakens the control without a reason. Fix: add reason = "…";
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    configuration = s.hardened "web-01" { };
    compliance.frameworks.nis2-essential.controlOverrides.firewall-enabled.mode = "disabled";
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [ "nis2-essential" ];
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
