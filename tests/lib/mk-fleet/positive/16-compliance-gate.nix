# The static compliance gate's scopes and modes (lib/compliance/gate.nix):
#   ok-01        hardened: every control of nis2-essential and iso27001 passes
#   fw-01        firewall off, released: a host-scope override sets
#                firewall-enabled to observe in both frameworks, with its
#                reason; recorded under failed with that reason
#   lab-01       journald volatile, released: the lab tag puts nis2-essential
#                in observe and the fleet scope iso27001; recorded
#   vm-01        no LUKS device: disk-encryption-declared disabled in both
#                frameworks with a reason; recorded under disabled
#   darwin-01    nis2-essential disabled at host scope, iso27001 disabled at
#                host scope: nothing evaluated, its stand-in has no options
#   edge-01      channel without frameworks: no entry at all
{ mkFleet, ... }:
let
  s = import ../support.nix;
  h = import ../../support/hardened.nix;
in
mkFleet {
  hosts = {
    ok-01 = s.host "ok-01" {
      channel = "prod";
      configuration = s.hardened "ok-01" { };
    };
    fw-01 = s.host "fw-01" {
      channel = "prod";
      configuration = s.hardened "fw-01" { networking.firewall.enable = false; };
      compliance.frameworks = {
        nis2-essential.controlOverrides.firewall-enabled = {
          mode = "observe";
          reason = "filtered by the upstream router until the migration";
        };
        iso27001.controlOverrides.firewall-enabled = {
          mode = "observe";
          reason = "filtered by the upstream router until the migration";
        };
      };
    };
    lab-01 = s.host "lab-01" {
      channel = "prod";
      tags = [ "lab" ];
      configuration = s.hardened "lab-01" {
        services = h.services // {
          journald.storage = "volatile";
        };
      };
    };
    vm-01 = s.host "vm-01" {
      channel = "prod";
      configuration = s.hardened "vm-01" {
        boot = h.boot // {
          initrd.luks.devices = { };
        };
      };
      compliance.frameworks = {
        nis2-essential.controlOverrides.disk-encryption-declared = {
          mode = "disabled";
          reason = "volume encrypted by the hypervisor";
        };
        iso27001.controlOverrides.disk-encryption-declared = {
          mode = "disabled";
          reason = "volume encrypted by the hypervisor";
        };
      };
    };
    darwin-01 = s.host "darwin-01" {
      system = "aarch64-darwin";
      channel = "prod";
      compliance.frameworks = {
        nis2-essential = {
          mode = "disabled";
          reason = "Darwin: no NixOS options to evaluate";
        };
        iso27001 = {
          mode = "disabled";
          reason = "Darwin: no NixOS options to evaluate";
        };
      };
    };
    edge-01 = s.host "edge-01" { channel = "edge"; };
  };
  compliance.frameworks.iso27001 = {
    mode = "observe";
    reason = "ISO certification audit next quarter";
  };
  tags.lab.compliance.frameworks.nis2-essential = {
    mode = "observe";
    reason = "lab hosts hold no production data";
  };
  channels = {
    prod = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      compliance.frameworks = [
        "nis2-essential"
        "iso27001"
      ];
    };
    edge = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
