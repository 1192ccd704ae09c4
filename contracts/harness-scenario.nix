# Contract: a harness scenario (tests/harness/scenarios/<name>.nix evaluates
# to this). Data only — fleet, per-generation host behaviour, a timeline of
# steps and the properties that must hold — so the local runner and the
# microVM runner read the same files. No runner details (ports, paths, pids).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt;
  secs = t.positive;

  behaviour = types.submodule {
    options = {
      switch = opt (types.enum [ "ok" "fail" "inhibit-kernel" "inhibit-dbus" ]) "What bin/switch-to-configuration does: succeed, exit 1, or (inhibit-*) change a component that cannot be swapped live (how long it takes: switchSecs)." "ok" { default = "ok"; };
      probe = opt (types.enum [ "pass" "fail" ]) "Whether the host's enforce probe (an exec probe rendered into the closure) passes." "pass" { default = "pass"; };
      signed = opt types.bool "Whether the closure is pushed to the cache signed with the trusted key (false: pushed bypassing signing)." true { default = true; };
      switchSecs = opt t.unsigned "Seconds bin/switch-to-configuration takes before it exits (0: at once); lets a fault land inside the activation, or keeps hosts observably in flight." 0 { default = 0; };
      failedUnits = opt (types.listOf (types.strMatching "[A-Za-z0-9@._:-]+")) "Systemd units the switch leaves failed: it writes them to the sandbox's failed-units file (run/nixfleet-sandbox/failed-units under the state root; the agent's health gate reads it), replacing what an earlier generation left." [ "nginx.service" ] { default = [ ]; };
      secrets = opt (types.listOf (types.strMatching "[a-z0-9-]+")) "Names of age-encrypted secrets the closure ships (ciphertext in the store, encrypted by the runner to the host's SSH host key, as with agenix); the switch decrypts each into the host's state root (run/agenix/<name>)." [ ] { default = [ ]; };
      failingControls = opt (types.listOf (types.strMatching "[a-z0-9][a-z0-9-]{0,62}")) "Compliance controls (lib/compliance) whose runtime probe finds the host non-compliant: the closure's stand-in for the probe's command (which needs a NixOS host) prints a value the control does not accept. The switch runs the real collector over the closure's controls file, so the signed evidence the agent's evidence probe reads names these controls failing. Only on hosts whose channel enables a framework of the control." [ "firewall-enabled" ] { default = [ ]; };
      activationTokens = opt (types.listOf (types.strMatching "/[A-Za-z0-9._/-]+")) "Files the switch creates on the host at activation, each holding a fresh random token (64 hex characters, mode 0600, written only when missing or empty), as the hive-matrix module writes its registration token (examples/hive/settings.nix); invariant secretsConfined then requires each token nowhere but there." [ "/var/lib/hyperhive/matrix-register-token" ] { default = [ ]; };
    };
  };

  condition = types.submodule {
    options = {
      kind = opt (types.enum [ "hostState" "hostsConverged" "rolloutState" "hostCurrent" "hostQuarantined" "cpAlert" "agentRejected" "enrollRefused" "hostRecovered" "decision" "notDispatched" "probeFailed" "controlFailed" ]) "What to wait for (controlFailed: the trace of the channel's newest rollout names `code`, a compliance control id, failing on each of `hosts` in its probeFailures, the CP's probe_failures view; decision: the latest trace of the channel's rollout holds a decision with `code` about each of `hosts` (its host field) or whose reason names every one of them; notDispatched: no rollout ever dispatched any of `hosts`; probeFailed: the CP logged, from each host, a failing enforce ProbeResult whose failure reason starts with `code`)." "hostsConverged" { };
      hosts = opt (types.listOf types.str) "Hosts the condition is about (empty: every host of the fleet)." [ ] { default = [ ]; };
      channel = opt (types.nullOr types.str) "Channel, for rollout conditions." null { default = null; };
      state = opt (types.nullOr types.str) "Host or rollout state expected." null { default = null; };
      generation = opt (types.nullOr types.str) "Generation whose closure the hosts must run (hostCurrent)." null { default = null; };
      code = opt (types.nullOr types.str) "Alert code prefix (cpAlert), DispatchReject reason (agentRejected), decision code (decision), failure-reason prefix (probeFailed) or control id (controlFailed) expected." null { default = null; };
    };
  };

  fault = types.submodule {
    options = {
      kind = opt (types.enum [
        "killCp" "restartCp" "wipeCpDb" "killAgent" "restartAgent" "cutNetwork" "restoreNetwork"
        "tamperArtifact" "skewClock" "replayEnrollToken" "startAgent" "removeProbeFile" "killLeader"
      ]) "Fault to inject (startAgent: first start of a host listed in notStarted; removeProbeFile: delete etc/nixfleet/agent/health-checks.json from the closure each host runs, then restart its agent; killLeader: SIGKILL the control-plane replica that leads, with `replicas`, and measure until another one leads)." "killAgent" { };
      hosts = opt (types.listOf types.str) "Hosts affected (agent and network faults)." [ ] { default = [ ]; };
      artifact = opt (types.nullOr (types.enum [ "fleet.resolved" "rollout-manifest" "revocations" ])) "Artifact to tamper (one byte flipped after signing)." null { default = null; };
      seconds = opt (types.nullOr t.int) "Clock offset for skewClock (negative: behind)." null { default = null; };
      duringActivation = opt types.bool "Inject while the host is Activating (agent faults)." false { default = false; };
    };
  };

  step = types.submodule {
    options = {
      release = opt (types.nullOr types.str) "Release this generation (evaluate, build, push, sign, publish)." null { default = null; };
      wait = opt (types.nullOr condition) "Wait until the condition holds." null { default = null; };
      timeoutSecs = opt secs "Bound of a wait." 60 { default = 60; };
      fault = opt (types.nullOr fault) "Inject a fault." null { default = null; };
      sleepSecs = opt (types.nullOr secs) "Let time pass (soak, offline windows)." null { default = null; };
      signedAgoSecs = opt (types.nullOr secs) "With release: CI signs the release as of this many seconds ago (a stale target a control plane replays)." null { default = null; };
      # Irrevocable values (docs/fleet-authors.md, "Values that must never change").
      acceptIrrevocable = opt (types.listOf (types.strMatching "[a-z0-9][a-z0-9._-]{0,62}:.+")) "With release: `<host>:<name>` changes of irrevocable values the release accepts (`--accept-irrevocable-change`, accepted by \"harness\"); the runner then checks `nixfleet verify` shows each acceptance." [ "hive-01:serverName" ] { default = [ ]; };
      expectRefused = opt (types.nullOr (types.strMatching "RELEASE_ERR_[A-Z_]+")) "With release: the release must be refused with this code (nothing is published); any other outcome fails the scenario." "RELEASE_ERR_IRREVOCABLE_CHANGE" { default = null; };
      operator = opt (types.nullOr (types.submodule {
        options = {
          action = opt (types.enum [ "pause" "resume" "abort" "approve" "clear" ]) "Operator action, run as `nixfleet rollout <action> --channel <channel> --reason <reason>` with the harness operator certificate (CN operator:harness: declare operators.harness in the fleet)." "pause" { };
          channel = opt types.str "Channel whose rollout the action names." "stable" { default = "stable"; };
          reason = opt types.str "The --reason." "db migration running" { default = "harness"; };
          as = opt (types.strMatching "[a-z][a-z0-9_-]{0,31}") "Operator who acts: the CLI presents a certificate for CN operator:<as> (declare operators.<as> in the fleet, e.g. a viewer to see a refusal by role)." "vic" { default = "harness"; };
          expectCode = opt (types.nullOr (types.strMatching "CP_ERR_[A-Z_]+")) "The control plane must refuse the action with this code (exit 4); null: it must succeed (exit 0)." "CP_ERR_ROLE_FORBIDDEN" { default = null; };
        };
      })) "Take an operator action through the real CLI." null { default = null; };
      hostAdd = opt (types.nullOr (types.submodule {
        options = {
          host = opt (types.strMatching "[a-z0-9][a-z0-9._-]{0,62}") "The new host: not in the fleet, added by `nixfleet host add`." "agent-17" { };
          tags = opt (types.listOf (types.strMatching "[a-z0-9][a-z0-9._-]{0,62}")) "Its tags (`--tags`)." [ "agent" "main" ] { default = [ ]; };
          channel = opt (types.nullOr types.str) "Its channel (`--channel`; null: the fleet's only one)." "comms" { default = null; };
          release = opt types.str "Generation released right after the add: its fleet takes the host from the hosts.json `host add --write` wrote and its nonce from the nonces file, as a fleet author's fleet.nix does; the new host's agent starts (the machine boots) while it releases." "g2" { };
          heartbeatSubject = opt (types.nullOr types.str) "NATS subject on the comms fleet's broker (nats-01, port 4222) a real subscription of the runner must see a message on before the measure ends (null: no broker)." "fleet.heartbeat.agent-17" { default = null; };
          withinSecs = opt secs "Budget of the measure, from the command to the host enrolled, shown converged on its closure by `nixfleet status` and (heartbeatSubject) heartbeating on the broker: invariant hostAddWithin fails above it." 60 { default = 60; };
        };
      })) "Add a host with the real `nixfleet host add`, release, boot it, and measure until it is enrolled, converged and heartbeating; the runner prints the figure and its parts (the step's timeoutSecs bounds the wait)." null { default = null; };
      expectMessage = opt (types.listOf types.str) "With expectRefused: text the refusal must contain (e.g. the host and the failed assertion)." [ "evaluating host hive-01" ] { default = [ ]; };
    };
  };
in
{
  options = {
    name = opt (types.strMatching "[a-z0-9-]+") "Scenario name (file name without .nix)." "smoke" { };
    description = opt types.str "What property the scenario proves." "Two agents converge on the first release." { };
    fast = opt types.bool "Part of the README test command (fast); otherwise only with --all." false { default = false; };
    timing = opt (types.submodule {
      options = {
        heartbeatSecs = opt secs "Agent heartbeat interval (hosts are unreachable after 3 missed)." 1 { default = 1; };
        longPollSecs = opt secs "Dispatch long-poll hold." 2 { default = 2; };
        reconcileSecs = opt secs "CP reconcile interval." 1 { default = 1; };
        confirmWindowSecs = opt secs "Confirm window written into dispatches." 60 { default = 60; };
        sustainedFailureSecs = opt secs "Agent sustained-failure threshold." 3 { default = 3; };
        probeIntervalSecs = opt secs "Interval of the rendered probes." 1 { default = 1; };
        shipped = opt (types.nullOr types.bool) "true: the control plane and the agents run at their shipped default timings (none of the above is passed to them; probes keep probeIntervalSecs): what an operator's fleet sees." true { default = null; };
      };
    }) "Shrunk time constants." { } { default = { }; };
    fleet = opt (types.attrsOf types.anything) "mkFleet input without host configurations (the runner adds a toplevel per generation)." { } { };
    replicas = opt (types.nullOr (types.ints.between 2 3)) "Control-plane replicas on one PostgreSQL database (null: one control plane on SQLite). The runner starts a throwaway PostgreSQL cluster and the replicas, each at its own URL; every agent is given every URL." 2 { default = null; };
    notStarted = opt (types.listOf types.str) "Hosts of the fleet whose agents the runner does not start, so they never enroll nor heartbeat, until a startAgent fault starts them." [ "canary-02" ] { default = [ ]; };
    generations = opt (types.attrsOf (types.submodule {
      options = {
        default = opt behaviour "Behaviour of every host not listed." { } { default = { }; };
        hosts = opt (types.attrsOf behaviour) "Per-host behaviour." { } { default = { }; };
        hive = opt (types.attrsOf (types.submodule {
          options = {
            defaults = opt (types.enum [ "v1" "v2" ]) "Release of the hive-matrix module (examples/hive/settings.nix): v1 defaults serverName to matrix.<domain>, v2 to <domain>." "v2" { default = "v2"; };
            domain = opt (types.nullOr types.str) "services.hyperhive.domain." "example.com" { default = null; };
            matrix = opt (types.attrsOf types.anything) "services.hyperhive.matrix settings (serverName, gatewayHost, openFirewall, …)." { serverName = "matrix.example.com"; } { default = { }; };
          };
        })) "Per host, the hive-matrix homeserver's settings in this generation: the host's configuration declares the module's effective serverName irrevocable, and a failing module assertion fails its evaluation, as on NixOS." { hive-01 = { defaults = "v1"; domain = "example.com"; }; } { default = { }; };
        nixos = opt (types.attrsOf (types.attrsOf types.anything)) "Per host, NixOS option values its configuration sets in this generation, over the hardened stand-in every harness host starts from (tests/lib/support/hardened.nix, which passes every compliance control): what the static compliance gate evaluates at release." { canary-01.services.openssh.settings.PermitRootLogin = "yes"; } { default = { }; };
        comms = opt (types.attrsOf (types.submodule {
          options = {
            role = opt (types.enum [ "nats" "matrix" "agent" ]) "What the host runs (examples/comms/settings.nix): nats, the real nats-server with JetStream from a configuration file in the closure; matrix, a stand-in serving the Matrix client API's /_matrix/client/versions; agent, a heartbeat publisher on fleet.heartbeat.<host> using the nats client library." "agent" { };
            revision = opt types.str "Rendered into the service's configuration: changing it changes the closure and restarts the service at the switch, as systemd restarts a changed unit." "r1" { default = "r1"; };
            broker = opt (types.nullOr types.str) "agent: the broker URL its heartbeat publisher uses; null is nats-01's address on the fleet's network, port 4222." "nats://127.0.0.1:4223" { default = null; };
            nkeyUsers = opt (types.listOf types.str) "nats: public NKeys of the users in the configuration's authorization block (empty: no authorization block); nats-server refuses a file naming a seed instead of a public key and exits." [ "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4" ] { default = [ ]; };
          };
        })) "Per host, the comms fleet service its closure runs (scenarios comms-*): a unit that its switch-to-configuration starts, and replaces when its text changed, as systemd would (tests/harness/nix/comms.nix)." { nats-01.role = "nats"; } { default = { }; };
        irrevocable = opt (types.attrsOf (types.attrsOf (types.oneOf [ types.str t.int types.bool ]))) "Per host, the values its configuration declares irrevocable in this generation (`nixfleet.irrevocable`, e.g. a module's effective serverName, which a module bump may flip)." { hive-01.serverName = "example.com"; } { default = { }; };
      };
    })) "Generations, by name: what each host's closure does." { g1 = { }; } { };
    steps = opt (types.listOf step) "The timeline." [ { release = "g1"; } ] { };
    invariants = opt (types.listOf (types.enum [ "wavesInOrder" "budgetsRespected" "noQuarantinedDispatch" "signedRoundtrip" "secretsConfined" "auditVerifies" "hostAddWithin" "leaderTakeover" "ackedEventsLogged" ])) "Properties checked continuously while the scenario runs." [ "wavesInOrder" ] { default = [ ]; };
  };
}
