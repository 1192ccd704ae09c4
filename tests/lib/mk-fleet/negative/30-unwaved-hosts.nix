# A policy without a catch-all wave: web-02 would silently never receive a
# rollout.
# expect: - [unwaved-hosts:channels.stable] fleet: channels.stable: 1 host(s) are selected by no wave of rollout policy canary and will never receive a rollout: web-02.
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts = {
    web-01 = s.host "web-01" {
      channel = "stable";
      tags = [ "canary" ];
    };
    web-02 = s.host "web-02" { channel = "stable"; };
  };
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [ { selector.tags = [ "canary" ]; } ];
  };
}).resolved
