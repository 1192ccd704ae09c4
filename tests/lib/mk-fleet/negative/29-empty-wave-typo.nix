# A typo in the canary wave's tag ("canry") empties it: without the refusal
# every host would go out at once in wave 1. Refused, naming the stable id.
# expect: fleet: 1 safety-relevant warning(s) refuse this fleet:
# expect: - [empty-wave:waves.stable[0]] fleet: rolloutPolicies.canary.waves[0].selector {"tags":["canry"]} selects no host of channel stable: wave 0 is empty
# expect: acceptWarnings."empty-wave:waves.stable[0]" = "why this is intended";
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts = s.hosts [ "web-01" "web-02" "web-03" ] { channel = "stable"; } // {
    web-01 = s.host "web-01" {
      channel = "stable";
      tags = [ "canary" ];
    };
  };
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      {
        selector.tags = [ "canry" ];
        soakMinutes = 30;
      }
      { selector.all = true; }
    ];
  };
}).resolved
