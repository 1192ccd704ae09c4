# The microVM runner's plan for one harness scenario (ARCHITECTURE.md "Test
# fabric", book §11 Tier A): which NixOS test nodes exist, how their
# services.nixfleet-* options are set, and the Python test script. Pure
# data from the scenario file (builtins only, tested in tests/lib/harness/);
# nix/harness/microvm.nix turns it into pkgs.testers.runNixOSTest.
#
# Scenario shape read here (tests/harness/scenarios/<name>.nix, data only):
#   { name; description ? ""; hosts.<host> = { … }; timeoutSeconds ? 300;
#     expect ? { … }; … }
# Keys this runner does not interpret (faults, fleet, other expectations)
# are for the local runner; the plan lists them under `uninterpreted`.
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
    "hosts"
    "timeoutSeconds"
    "expect"
  ];
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
      hosts = attrNames (scenario.hosts or { });
      timeout = scenario.timeoutSeconds or 300;
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
      throw "harness ${name}: `hosts` is empty"
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
        };
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
