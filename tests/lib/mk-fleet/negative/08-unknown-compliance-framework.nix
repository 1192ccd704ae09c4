# A compliance framework name that is not in lib/compliance-frameworks.nix,
# in the channel list and in a tag refinement.
# expect: fleet: channels.stable.compliance.frameworks[1]: unknown compliance framework "nis2"; known frameworks: anssi-bp028, cis-level1, dora, iso27001, nis2-essential (declared in lib/compliance-frameworks.nix). Fix:
# expect: fleet: tags.audit.compliance.frameworks.iso-27001: unknown compliance framework "iso-27001"
# expect: fleet: 2 invariant violations:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  tags.audit.compliance.frameworks.iso-27001.mode = "enforce";
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [
      "anssi-bp028"
      "nis2"
    ];
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
