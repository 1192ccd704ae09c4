# A host carrying two tags whose pins differ, without a host pin to decide.
# expect: fleet: hosts.gpu-01: the tag pins of this host disagree (tags.gpu.pin = {"commit":"3f2a9c1d","expiresAt":null,"reason":"driver regression"}; tags.rocm.pin = {"commit":"deadbeef","expiresAt":null,"reason":"older kernel"}). Fix: set hosts.gpu-01.pin to decide
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.gpu-01 = s.host "gpu-01" {
    channel = "stable";
    tags = [ "gpu" "rocm" ];
  };
  tags = {
    gpu.pin = {
      commit = "3f2a9c1d";
      reason = "driver regression";
    };
    rocm.pin = {
      commit = "deadbeef";
      reason = "older kernel";
    };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
