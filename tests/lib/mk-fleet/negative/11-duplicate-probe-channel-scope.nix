# The same probe name twice in one scope: channel scope declares
# evidence-nis2-essential explicitly AND through the compliance shorthand.
# expect: fleet: channels.stable: probe "evidence-nis2-essential" is declared twice at channel scope: in channels.stable.healthChecks and by the compliance shorthand channels.stable.compliance.frameworks ("nis2-essential"). Fix:
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [ "nis2-essential" ];
    healthChecks.evidence-nis2-essential = {
      kind = "evidence";
      framework = "nis2-essential";
    };
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).healthChecks
