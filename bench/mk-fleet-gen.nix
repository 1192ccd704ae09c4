# Benchmark fleet generator for bench/mk-fleet.bench.sh: `n` hosts, 20 tags,
# 3 channels, a 3-wave canary policy (tags, tagsAny, all), 5 disruption
# budgets, probes at fleet, tag, channel and host scope, and one compliance
# framework — without shadowing, so warnings stay few.
#
#   nix-instantiate --eval --strict --json bench/mk-fleet-gen.nix --arg n 1000 -A resolved
{ n ? 1000 }:
let
  inherit (builtins)
    elemAt
    genList
    listToAttrs
    ;
  nixfleet = import ../lib;
  mod = a: b: a - (a / b) * b;
  tagNames = genList (i: "t${toString i}") 20;
  channelNames = [
    "stable"
    "edge"
    "beta"
  ];
  toplevel = builtins.derivation {
    name = "nixos-system-bench";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [
      "-c"
      "mkdir -p $out"
    ];
    PATH = "/bin:/usr/bin";
  };
  configuration.config.system.build.toplevel = toplevel;
  host = i: {
    name = "host-${toString i}";
    value = {
      system = "x86_64-linux";
      inherit configuration;
      channel = elemAt channelNames (mod i 3);
      tags = [
        (elemAt tagNames (mod i 20))
        (elemAt tagNames (mod (i * 7 + 3) 20))
      ]
      ++ (if mod i 50 == 0 then [ "canary" ] else [ ]);
      healthChecks =
        if mod i 10 == 0 then
          {
            disk = {
              kind = "exec";
              command = "/run/current-system/sw/bin/check-disk /";
              intervalSeconds = 300;
            };
          }
        else
          { };
    };
  };
in
nixfleet.mkFleet {
  hosts = listToAttrs (genList host n);
  tags = listToAttrs (
    map (t: {
      name = t;
      value = {
        description = "Benchmark tag ${t}.";
        healthChecks."svc-${t}" = {
          kind = "tcp";
          host = "127.0.0.1";
          port = 8000;
        };
      };
    }) tagNames
  );
  channels = listToAttrs (
    map (c: {
      name = c;
      value = {
        rolloutPolicy = "canary";
        freshnessWindow = 1440;
        compliance.frameworks = if c == "stable" then [ "nis2-essential" ] else [ ];
        healthChecks."smoke-${c}" = {
          kind = "exec";
          command = "/run/current-system/sw/bin/smoke";
          mode = "observe";
        };
      };
    }) channelNames
  );
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      {
        selector.tags = [ "canary" ];
        soakMinutes = 30;
      }
      {
        selector.tagsAny = [
          "t1"
          "t2"
          "t3"
        ];
        soakMinutes = 60;
      }
      { selector.all = true; }
    ];
    healthGate.systemdFailedUnits.max = 0;
  };
  disruptionBudgets = genList (i: {
    selector.tags = [ (elemAt tagNames i) ];
    maxInFlightPct = 25;
  }) 5;
  healthChecks.heartbeat = {
    kind = "http";
    url = "http://localhost/health";
    mode = "observe";
  };
}
