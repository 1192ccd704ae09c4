# Selectors with no key set, at top level and nested inside `and` / `not`.
# expect: fleet: rolloutPolicies.canary.waves[0].selector: selector with no key set; it would select no host. Fix: set at least one of all, and, channel, hosts, not, tags, tagsAny (for every host: { all = true; }).
# expect: fleet: rolloutPolicies.canary.waves[1].selector.and[1].not: selector with no key set
# expect: fleet: disruptionBudgets[0].selector: selector with no key set
# expect: fleet: 3 invariant violations:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      {
        selector = { };
        soakMinutes = 30;
      }
      {
        selector.and = [
          { tags = [ "web" ]; }
          { not.all = false; }
        ];
      }
    ];
  };
  disruptionBudgets = [
    {
      selector = { };
      maxInFlight = 1;
    }
  ];
}
