# A fleet probe named like one of the agent's own checks would be taken for
# it and never run: refused.
# expect: fleet: probe "health-gate-systemd-failed-units" (on web-01) uses a name the agent reserves for its own checks (nixfleet-probe-set, health-gate-*); such a probe would never run. Fix: rename it.
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  healthChecks.health-gate-systemd-failed-units = {
    kind = "exec";
    command = "/bin/true";
  };
}).healthChecks
