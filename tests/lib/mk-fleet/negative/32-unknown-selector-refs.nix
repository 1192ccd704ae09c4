# Selectors naming a host and a channel the fleet does not declare: the
# canary wave still has web-01, but the host meant as second canary (web-20,
# a typo of web-02) goes out with the last wave; the budget's channel typo
# makes it cover nothing. Every item is listed, each with its own id.
# expect: fleet: 3 safety-relevant warning(s) refuse this fleet:
# expect: - [unknown-host:rolloutPolicies.canary.waves[0].selector.hosts:web-20] fleet: rolloutPolicies.canary.waves[0].selector.hosts: unknown host "web-20" selects nothing.
# expect: - [unknown-channel:disruptionBudgets[0].selector.channel:stabel] fleet: disruptionBudgets[0].selector.channel: unknown channel "stabel" selects nothing.
# expect: - [empty-budget:disruptionBudgets[0]]
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts = s.hosts [ "web-01" "web-02" "web-03" ] { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      {
        selector.hosts = [ "web-01" "web-20" ];
        soakMinutes = 30;
      }
      { selector.all = true; }
    ];
  };
  disruptionBudgets = [
    {
      selector.channel = "stabel";
      maxInFlight = 1;
    }
  ];
}).resolved
