# Host names become certificate CNs and URL segments; channel names appear in
# rollout ids: both must be tame.
# expect: fleet: hosts.Web_01: host name does not match [a-z0-9][a-z0-9._-]{0,62} (it becomes the agent certificate's CN and a URL segment). Fix: rename the host, e.g. "web-01".
# expect: fleet: channels.Beta: channel name does not match [a-z0-9_-]+
{ mkFleet, ... }:
let
  s = import ../support.nix;
  ch = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
in
mkFleet {
  hosts.Web_01 = s.host "web-01" { channel = "stable"; };
  channels = {
    stable = ch;
    Beta = ch;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
