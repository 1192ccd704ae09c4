# The microVM runner's plan for one harness scenario (ARCHITECTURE.md "Test
# fabric", book §11 Tier A): which NixOS test nodes exist, how their
# services.nixfleet-* options are set, what the cp node carries for the CI
# role, and the Python test script that plays the scenario. Pure data from
# the scenario file (builtins only, tested in tests/lib/harness/);
# nix/harness/microvm.nix turns it into pkgs.testers.runNixOSTest.
#
# The scenario is checked against contracts/harness-scenario.nix first
# (defaults filled, as the local runner loads it). Nodes: `cp` (control
# plane, operator CLI, the CI role releasing generations with `nixfleet
# release`, the binary cache over HTTP) and one VM per fleet host (an agent
# with the sandbox activation backend, like the local runner). The script:
# setup (runner file, secrets, real enrollments; nix/harness/setup.nix),
# deployment (units up, mTLS from every host), the timeline
# (nix/harness/timeline.nix), the invariants, and no daemon restarted on its
# own.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    foldl'
    listToAttrs
    match
    toJSON
    ;
  c = import ./common.nix;
  timeline = import ./timeline.nix;
  scripts = import ./scripts.nix;
  enrollScripts = import ./scripts-enroll.nix;
  auditScripts = import ./scripts-audit.nix;
  schema = import ../../lib/schema;
  contract = schema.loadContract ../../contracts/harness-scenario.nix;

  max = a: b: if a > b then a else b;
  # Indented Python: '' strings drop their leading spaces.
  pad = n: s: builtins.substring 0 n "                        " + s;

  topLevel = [
    "name"
    "description"
    "fast"
    "timing"
    "fleet"
    "generations"
    "steps"
    "invariants"
    "notStarted"
  ];
  timingKeys = [
    "heartbeatSecs"
    "longPollSecs"
    "reconcileSecs"
    "confirmWindowSecs"
    "sustainedFailureSecs"
    "probeIntervalSecs"
  ];
  nonNull = a: filter (k: a.${k} != null) (attrNames a);
in
{
  inherit (c) cpPort cachePort paths;

  /**
    Public halves of the test-only keys under nix/harness/fixtures/ (their
    private halves sign releases and the binary cache on the cp node).
    tests/lib/harness derives them from the private files.

    Type: trust :: { ciReleaseKey, cacheKeys }
  */
  trust = {
    ciReleaseKey.current = {
      algorithm = "ed25519";
      public = "KxdsNBMLHcGbR/bdEurrvyiM9Aqes0td53jhBc7qvAA=";
    };
    cacheKeys = [ "nixfleet-harness-cache-1:RD5MP/in3YdwDniqUFuW1fmCJbhNnKPSF714dzkCmY0=" ];
    # Verifies the bootstrap tokens the cp node mints at test run time.
    orgRootKey.current = {
      algorithm = "ed25519";
      public = "f/wJcQHymmFL9XZUpLUUcEFxG/u1iEkO9bssZZ/7N6o=";
    };
  };

  /**
    Helper programs of the cp node (name → bash text without the shebang).

    Type: helpers :: { <name> = string; }
  */
  pkiScript = scripts.pki;

  helpers = {
    nixfleet-harness-release = scripts.release;
    nixfleet-harness-push = scripts.push;
    nixfleet-harness-events = scripts.events;
    nixfleet-harness-init = enrollScripts.init;
    nixfleet-harness-mint-token = enrollScripts.mintToken;
    nixfleet-harness-replay-token = enrollScripts.replayToken;
    nixfleet-harness-enroll-state = enrollScripts.enrollState;
    nixfleet-harness-secret = enrollScripts.secret;
    nixfleet-harness-roundtrip = auditScripts.roundtrip;
    nixfleet-harness-scan = auditScripts.scan;
  };

  /**
    Helper programs of every host node (name → bash text).

    Type: hostHelpers :: { <name> = string; }
  */
  hostHelpers = {
    nixfleet-harness-scan = auditScripts.scan;
    nixfleet-harness-recovery = auditScripts.recovery;
  };

  /**
    `enrolling` = hosts that enroll with a token minted at test run time
    (their agent unit is started by the script); `actions` = the setup
    (nix/harness/setup.nix) then the timeline, as data.

    Type: plan :: scenario -> { name, hosts, enrolling, notStarted, cp, agents, releases, actions, testScript, cpMemoryMiB, cliCommands }
  */
  plan =
    raw:
    let
      rawName = raw.name or (throw "harness: a scenario needs `name`");
      scenario = schema.check "harness scenario ${rawName}" contract raw;
      inherit (scenario) name timing;
      hosts = attrNames (scenario.fleet.hosts or { });
      badHosts = filter (h: match "[a-z][a-z0-9-]{0,62}" h == null || h == "cp") hosts;
      extraTop = filter (k: !(builtins.elem k topLevel)) (nonNull scenario);
      # Hosts whose agent unit is not wanted at boot: a startAgent fault starts it.
      notStarted = scenario.notStarted or [ ];
      extraTiming = filter (k: !(builtins.elem k timingKeys)) (nonNull timing);
      # The comms fleet's services run as units of the local runner's sandbox
      # (tests/harness/nix/comms.nix), not as NixOS services of a VM.
      withComms = filter (g: (scenario.generations.${g}.comms or { }) != { }) (attrNames (scenario.generations or { }));

      secs = n: "${toString n}s";
      played = timeline.steps { inherit scenario hosts; };
      # Agents must be up within the longest wait the scenario allows.
      bound = foldl' max 120 (map (st: st.timeoutSecs) scenario.steps);

      enrolls = host: builtins.elem host played.enrolling;
      agent = host: {
        enable = true;
        controlPlane.url = c.cpUrl;
        machineId = host;
        # Hosts whose token the scenario replays enroll for real, with a
        # token the cp node mints when the test runs (a token made at build
        # time would have expired when the test is built later); their unit
        # starts once the token is on the host. The others use a client
        # certificate pre-issued by the fixture PKI.
        tls =
          if enrolls host then
            {
              caCert = "${c.paths.pki}/ca.crt";
              clientCert = null;
              clientKey = null;
            }
          else
            {
              caCert = "${c.paths.pki}/ca.crt";
              clientCert = "${c.paths.pki}/${host}.crt";
              clientKey = "${c.paths.pki}/${host}.key";
            };
        bootstrapTokenFile = if enrolls host then c.paths.bootstrapToken else null;
        # The agent always loads its OpenSSH host key (its identity for
        # enrollment and the closure it signs events with); the fixture PKI
        # makes one per host, as no sshd runs on the test nodes.
        sshHostKeyFile = "${c.paths.pki}/${host}.ssh_host_ed25519_key";
        # Scenario closures are tiny test toplevels, activated by the
        # sandbox backend exactly as the local runner does.
        activationBackend = "sandbox";
        cacheUrls = [ c.cacheUrl ];
        pollInterval = 1;
        # The local runner's shrunk agent timings.
        extraArgs = [
          "--heartbeat-interval"
          (secs timing.heartbeatSecs)
          "--long-poll-timeout"
          (secs timing.longPollSecs)
          "--sustained-failure-threshold"
          (secs timing.sustainedFailureSecs)
          "--tick-interval"
          "250ms"
          "--activation-poll-interval"
          "250ms"
          "--backoff-base"
          "200ms"
          "--backoff-max"
          "2s"
        ];
      };

      cp = {
        enable = true;
        listen = "0.0.0.0:${toString c.cpPort}";
        openFirewall = true;
        tls = {
          cert = "${c.paths.pki}/cp.crt";
          key = "${c.paths.pki}/cp.key";
          clientCa = "${c.paths.pki}/ca.crt";
        };
        # The fixture CA also issues enrolling hosts' certificates.
        fleetCaCert = "${c.paths.pki}/ca.crt";
        fleetCaKey = "${c.paths.pki}/ca.key";
        releaseDir = c.paths.releases;
        dbPath = c.paths.cpDb;
        confirmDeadlineSecs = timing.confirmWindowSecs;
        extraArgs = [
          "--poll-interval-secs"
          "1"
          "--heartbeat-interval-secs"
          (toString timing.heartbeatSecs)
          "--long-poll-secs"
          (toString timing.longPollSecs)
          "--reconcile-interval-secs"
          (toString timing.reconcileSecs)
        ];
      };

      status = c.cli [ "status" ];
      agentNodes = map c.nodeVar hosts;
      testScript = concatStringsSep "\n" (
        [
          # A comment line: a multi-line description must not become code.
          "# Harness scenario ${name} (microVM runner, nix/harness/plan.nix): ${builtins.replaceStrings [ "\n" "\r" ] [ " " " " ] scenario.description}"
          ""
          "import base64"
          "import time"
          ""
          "# Secrets' plaintexts (host name plaintext), kept by the driver only."
          "harness_secrets = []"
          ""
          ""
          "def harness_gather(gather):"
          "    # Host outputs copied to files on the cp node, through the driver."
          "    for m, command, path in gather:"
          (pad 8 ''data = m.succeed(command + " | base64 -w0").strip()'')
          (pad 8 ''cp.succeed(f"mkdir -p $(dirname {path}) && printf %s {data} | base64 -d > {path}")'')
          ""
          ""
          "def harness_wait(label, command, timeout, gather=[]):"
          "    with subtest(label):"
          "        try:"
          "            if not gather:"
          "                cp.wait_until_succeeds(command, timeout=timeout)"
          "                return"
          "            deadline = time.monotonic() + timeout"
          "            while True:"
          "                harness_gather(gather)"
          "                rc, out = cp.execute(command)"
          "                if rc == 0:"
          "                    return"
          "                if time.monotonic() > deadline:"
          (pad 20 ''raise Exception(f"{label}: timed out after {timeout} s: {out}")'')
          "                time.sleep(1)"
          "        except Exception:"
          "            print(cp.execute(${c.py "${status} || true"})[1])"
          "            raise"
          ""
          ""
          "start_all()"
          ''cp.wait_for_unit("nixfleet-control-plane.service")''
          "cp.wait_for_open_port(${toString c.cpPort})"
          ''cp.wait_for_unit("nginx.service")''
          ""
        ]
        ++ played.setupLines
        ++ [
          "for name, m in [${concatStringsSep ", " (map (h: "(${c.py h}, ${c.nodeVar h})") hosts)}]:"
          (pad 4 ''m.wait_for_unit("nixfleet-agent.service", timeout=${toString bound})'')
          "    # mTLS from the host to the control plane with the agent's identity."
          "    m.wait_until_succeeds("
          (pad 8 ''f"curl -sf --cacert ${c.paths.pki}/ca.crt --cert ${c.paths.pki}/{name}.crt"'')
          (pad 8 ''f" --key ${c.paths.pki}/{name}.key ${c.cpUrl}/healthz",'')
          "        timeout=${toString bound},"
          "    )"
          ""
        ]
        ++ played.lines
        ++ [
          ""
          ''with subtest("no daemon restarted on its own"):''
          "    for m, unit in [(cp, \"nixfleet-control-plane.service\")] + [(m, \"nixfleet-agent.service\") for m in [${concatStringsSep ", " agentNodes}]]:"
          (pad 8 ''n = m.succeed(f"systemctl show -p NRestarts --value {unit}").strip()'')
          (pad 8 ''assert n == "0", f"{m.name}: {unit} restarted {n} times"'')
          ""
        ]
      );
    in
    if hosts == [ ] then
      throw "harness ${name}: `fleet.hosts` is empty"
    else if badHosts != [ ] then
      throw "harness ${name}: host names ${concatStringsSep ", " badHosts} are not usable as VM names (a lowercase letter first, then lowercase letters, digits and dashes; not \"cp\")"
    else if extraTop != [ ] then
      c.unsupported name "top level" "field ${concatStringsSep ", " extraTop}"
    else if extraTiming != [ ] then
      c.unsupported name "timing" "field ${concatStringsSep ", " extraTiming}"
    else if withComms != [ ] then
      c.unsupported name "generations" "field comms (generations ${concatStringsSep ", " withComms}: the comms fleet's services run only in the local runner's sandbox)"
    else
      {
        inherit name hosts cp testScript;
        inherit (played) releases enrolling;
        inherit notStarted;
        # Setup (runner file, secrets, enrollments), then the timeline.
        actions = played.setup ++ played.actions;
        agents = listToAttrs (
          map (h: {
            name = h;
            value = agent h;
          }) hosts
        );
        # The cp node evaluates and builds every release.
        cpMemoryMiB = 2048;
        # Every operator command the script runs, for the CLI parser test.
        cliCommands = [
          (c.cliArgv [ "status" "--json" ])
          (c.cliArgv [ "status" ])
          (c.cliArgv [ "rollout" "list" "--json" ])
          (c.cliArgv [ "rollout" "events" "stable@0123abcd" "--json" "--after" "0" ])
        ];
      };
}
