# freshnessWindow below the RFC-0011 §2.3 hard floor (default 60 minutes),
# even though it is 2 × signingIntervalMinutes.
# expect: fleet: channels.stable.freshnessWindow: 30 minutes is below the hard floor of 60 minutes (RFC-0011 §2.3; channels.stable.freshnessHardFloorMinutes). Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 30;
    signingIntervalMinutes = 15;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
