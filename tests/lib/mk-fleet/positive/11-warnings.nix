# Soft problems are warnings, not errors (RFC-0001 §4.2: "warn, not fail —
# empty selectors are sometimes intentional"):
#   - a wave selector that selects no host of a channel,
#   - hosts no wave selects (the policy lacks a final catch-all wave),
#   - selectors naming an unknown host or channel (typos select nothing).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts = s.hosts [ "app-01" "app-02" "app-03" ] {
    channel = "stable";
    tags = [ "app" ];
  } // {
    app-01 = s.host "app-01" {
      channel = "stable";
      tags = [ "app" "canary" ];
    };
  };
  channels.stable = {
    rolloutPolicy = "partial";
    freshnessWindow = 1440;
  };
  rolloutPolicies.partial = {
    strategy = "canary";
    waves = [
      {
        selector.tags = [ "canary" ];
        soakMinutes = 30;
      }
      {
        selector.tags = [ "gpu" ];
        soakMinutes = 30;
      }
      {
        selector.hosts = [ "app-02" "app-20" ];
        soakMinutes = 0;
      }
    ];
  };
  disruptionBudgets = [
    {
      selector.and = [
        { tags = [ "app" ]; }
        { not.channel = "stabel"; }
      ];
      maxInFlight = 1;
    }
  ];
}
