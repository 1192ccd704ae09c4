# Acceptance is per item: accepting one empty wave does not accept another
# (the refusal names only the unaccepted one).
# expect: fleet: 1 safety-relevant warning(s) refuse this fleet:
# expect: - [empty-wave:waves.stable[1]]
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts = s.hosts [ "web-01" "web-02" ] { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "staged";
    freshnessWindow = 1440;
  };
  rolloutPolicies.staged = {
    strategy = "canary";
    waves = [
      { selector.tags = [ "canary" ]; }
      { selector.tags = [ "early" ]; }
      { selector.all = true; }
    ];
  };
  acceptWarnings."empty-wave:waves.stable[0]" = "no canary host enrolled yet";
}).resolved
