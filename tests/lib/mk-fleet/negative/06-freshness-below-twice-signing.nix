# freshnessWindow must be at least 2 × signingIntervalMinutes (RFC-0001 §2.3).
# expect: fleet: channels.stable.freshnessWindow: 90 minutes is less than 2 × signingIntervalMinutes (2 × 60 = 120)
# expect: Fix: raise freshnessWindow to at least 120, or lower signingIntervalMinutes.
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 90;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
