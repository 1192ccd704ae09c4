# A per-control override must name a control of its framework: a typo would
# exempt nothing and say nothing.
# expect: fleet: tags.lab.compliance.frameworks.nis2-essential.controlOverrides.ssh-root-login: "ssh-root-login" is not a control of framework nis2-essential; its controls:
# expect: Fix: use one of these ids (docs/compliance.md lists them).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    tags = [ "lab" ];
    configuration = s.hardened "web-01" { };
  };
  tags.lab.compliance.frameworks.nis2-essential.controlOverrides.ssh-root-login = {
    mode = "observe";
    reason = "lab";
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [ "nis2-essential" ];
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
