# Pins at three levels, most specific wins: host > tag > channel.
#   web-01   channel pin only                       -> channel pin
#   gpu-01   tag pin (gpu) over the channel pin     -> tag pin
#   gpu-02   host pin over its tag pin              -> host pin
#   gpu-03   two tags with EQUAL pins               -> that pin
#   gpu-04   two tags with DIFFERENT pins, decided by its own host pin
#   lab-01   channel without a pin, no tag pin      -> no `pin` key at all
{ mkFleet, ... }:
let
  s = import ../support.nix;
  gpuPin = {
    commit = "3f2a9c1d";
    reason = "nvidia driver regression on this hardware";
    expiresAt = "2026-12-31T00:00:00Z";
  };
in
mkFleet {
  hosts = {
    web-01 = s.host "web-01" {
      channel = "stable";
      tags = [ "web" ];
    };
    gpu-01 = s.host "gpu-01" {
      channel = "stable";
      tags = [ "gpu" ];
    };
    gpu-02 = s.host "gpu-02" {
      channel = "stable";
      tags = [ "gpu" ];
      pin = {
        commit = "0badc0de";
        reason = "bisecting a boot hang";
      };
    };
    gpu-03 = s.host "gpu-03" {
      channel = "stable";
      tags = [ "gpu" "cuda" ];
    };
    gpu-04 = s.host "gpu-04" {
      channel = "stable";
      tags = [ "gpu" "rocm" ];
      pin = {
        commit = "a1b2c3d4e5";
        reason = "rocm and gpu pins disagree; this host follows rocm's kernel";
      };
    };
    lab-01 = s.host "lab-01" {
      channel = "edge";
      tags = [ "lab" ];
    };
  };
  tags = {
    gpu.pin = gpuPin;
    cuda.pin = gpuPin;
    rocm.pin = {
      commit = "deadbeef";
      reason = "rocm userspace needs the older kernel";
    };
  };
  channels = {
    stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      pin = {
        commit = "c0ffee12";
        reason = "change freeze during the audit";
        expiresAt = "2026-06-30T00:00:00Z";
      };
    };
    edge = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
    };
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
