# A control in several enabled frameworks runs under the strictest of their
# modes: relaxing it in one framework (iso27001) leaves it enforced by the
# other (nis2-essential), and the refusal names both.
# expect: - host db-01: control disk-encryption-declared [iso27001 A.8.24, nis2-essential art.21(2)(h)]: At least one LUKS device is opened in the initrd. Evidence: boot.initrd.luks.devices = [].
{ mkFleet, ... }:
let
  s = import ../support.nix;
  h = import ../../support/hardened.nix;
in
(mkFleet {
  hosts.db-01 = s.host "db-01" {
    channel = "stable";
    configuration = s.hardened "db-01" {
      boot = h.boot // {
        initrd.luks.devices = { };
      };
    };
    compliance.frameworks.iso27001.controlOverrides.disk-encryption-declared = {
      mode = "observe";
      reason = "encrypted at the hypervisor";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [
      "nis2-essential"
      "iso27001"
    ];
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
