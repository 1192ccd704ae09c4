# The microVM runner's plan for one harness scenario (ARCHITECTURE.md "Test
# fabric", book §11 Tier A): which NixOS test nodes exist, how their
# services.nixfleet-* options are set, and the Python test script. Pure
# data from the scenario file (builtins only, tested in tests/lib/harness/);
# nix/harness/microvm.nix turns it into pkgs.testers.runNixOSTest.
#
# Scenario shape (contracts/harness-scenario.nix, tests/harness/scenarios/):
# this runner reads `name`, the hosts of `fleet.hosts`, `timing` (passed to
# the daemons' flags) and the steps' `timeoutSecs` (its wait bound). It
# proves the deployment surface (real CP and agents from the service
# modules, mTLS between them, no crash loop); releasing generations, faults
# and the steps' conditions are the local runner's (tests/harness/runner/),
# and the plan lists such keys under `uninterpreted`.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    length
    listToAttrs
    match
    toJSON
    ;
  interpreted = [
    "name"
    "description"
    "fast"
    "fleet"
    "timing"
  ];
  max = a: b: if a > b then a else b;
  cpPort = 8443;
in
{
  inherit cpPort;

  /**
    Type: plan :: scenario -> { name, hosts :: [ string ], cp :: attrset, agents :: { <host> = attrset; }, testScript :: string, uninterpreted :: [ string ] }
  */
  plan =
    scenario:
    let
      name = scenario.name or (throw "harness: a scenario needs `name`");
      hosts = attrNames ((scenario.fleet or { }).hosts or { });
      timeout = builtins.foldl' max 120 (map (st: st.timeoutSecs or 60) (scenario.steps or [ ]));
      timing = scenario.timing or { };
      secs = n: "${toString n}s";
      agentTiming =
        (if timing ? heartbeatSecs then [ "--heartbeat-interval" (secs timing.heartbeatSecs) ] else [ ])
        ++ (if timing ? longPollSecs then [ "--long-poll-timeout" (secs timing.longPollSecs) ] else [ ])
        ++ (if timing ? sustainedFailureSecs then [ "--sustained-failure-threshold" (secs timing.sustainedFailureSecs) ] else [ ]);
      cpTiming =
        (if timing ? heartbeatSecs then [ "--heartbeat-interval-secs" (toString timing.heartbeatSecs) ] else [ ])
        ++ (if timing ? longPollSecs then [ "--long-poll-secs" (toString timing.longPollSecs) ] else [ ])
        ++ (if timing ? reconcileSecs then [ "--reconcile-interval-secs" (toString timing.reconcileSecs) ] else [ ]);
      badHosts = filter (h: match "[a-z0-9][a-z0-9-]{0,62}" h == null || h == "cp") hosts;
      agent = host: {
        enable = true;
        controlPlane.url = "https://cp:${toString cpPort}";
        machineId = host;
        tls = {
          caCert = "/etc/nixfleet-test/ca.crt";
          clientCert = "/etc/nixfleet-test/${host}.crt";
          clientKey = "/etc/nixfleet-test/${host}.key";
        };
        # The VM switches nothing real: closures of scenarios are tiny test
        # derivations, activated by the sandbox backend like the local runner.
        activationBackend = "sandbox";
        pollInterval = 5;
        extraArgs = agentTiming;
      };
      script = ''
        start_all()
        cp.wait_for_unit("nixfleet-control-plane.service")
        cp.wait_for_open_port(${toString cpPort})
        hosts = ${toJSON hosts}
        for h in hosts:
            m = machines_by_name[h]
            m.wait_for_unit("nixfleet-agent.service", timeout=${toString timeout})
            # mTLS from the host to the control plane with the agent's identity.
            m.wait_until_succeeds(
                f"curl -sf --cacert /etc/nixfleet-test/ca.crt --cert /etc/nixfleet-test/{h}.crt"
                f" --key /etc/nixfleet-test/{h}.key https://cp:${toString cpPort}/healthz",
                timeout=${toString timeout},
            )
        # Agents that keep running (no crash loop) for a heartbeat period.
        cp.sleep(70)
        for h in hosts:
            n = machines_by_name[h].succeed("systemctl show -p NRestarts --value nixfleet-agent.service").strip()
            assert n == "0", f"{h}: nixfleet-agent restarted {n} times"
      '';
    in
    if hosts == [ ] then
      throw "harness ${name}: `fleet.hosts` is empty"
    else if badHosts != [ ] then
      throw "harness ${name}: host names ${concatStringsSep ", " badHosts} are not usable as VM names (lowercase, no dots, not \"cp\")"
    else
      {
        inherit name hosts;
        cp = {
          enable = true;
          listen = "0.0.0.0:${toString cpPort}";
          openFirewall = true;
          tls = {
            cert = "/etc/nixfleet-test/cp.crt";
            key = "/etc/nixfleet-test/cp.key";
            clientCa = "/etc/nixfleet-test/ca.crt";
          };
          releaseDir = "/var/lib/nixfleet-cp/releases";
          extraArgs = cpTiming;
        }
        // (if timing ? confirmWindowSecs then { confirmDeadlineSecs = timing.confirmWindowSecs; } else { });
        agents = listToAttrs (
          map (h: {
            name = h;
            value = agent h;
          }) hosts
        );
        testScript = builtins.replaceStrings [ "machines_by_name[h]" ] [ "globals()[h.replace('-', '_')]" ] script;
        uninterpreted = filter (k: !(builtins.elem k interpreted)) (attrNames scenario);
        memoryMiB = let n = length hosts; in if 3072 + n * 256 > 4096 then 3072 + n * 256 else 4096;
      };

}
