# Warnings and their opt-out. Safety-relevant warnings refuse the fleet
# unless `acceptWarnings` names their id with a reason (the negative
# fixtures 28-33 show each refusal); accepted ones still print, tagged. Here
# every safety-relevant warning is accepted:
#   - a wave selector that selects no host of a channel while a later wave
#     has hosts (empty-wave),
#   - hosts no wave selects (unwaved-hosts: the policy lacks a catch-all),
#   - selectors naming an unknown host or channel (unknown-host,
#     unknown-channel: typos select nothing),
# and an acceptance that matches no warning is reported (stale-accept).
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
  acceptWarnings = {
    "empty-wave:waves.stable[1]" = "the gpu wave waits for hardware";
    "unwaved-hosts:channels.stable" = "app-03 is being decommissioned";
    "unknown-host:rolloutPolicies.partial.waves[2].selector.hosts:app-20" = "app-20 enrolls next week";
    "unknown-channel:disruptionBudgets[0].selector.and[1].not.channel:stabel" = "kept for the golden";
    "empty-wave:waves.stable[0]" = "stale: wave 0 has its canary";
  };
}
