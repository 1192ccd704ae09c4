# The microVM runner's faults (contracts/harness-scenario.nix
# `steps.*.fault`): each kind becomes shell commands on the nodes
# (systemctl, ip, date, a byte flipped with od/dd), mirroring the local
# runner (ts/harness/run.ts `inject`): a killed daemon stays down until a
# restart fault (its unit's restart is cancelled), a wiped CP database is
# rebuilt from the signed artifacts and agent replays. Builtins only.
let
  inherit (builtins)
    concatMap
    concatStringsSep
    elem
    filter
    toJSON
    ;
  c = import ./common.nix;

  cpUnit = "nixfleet-control-plane.service";
  agentUnit = "nixfleet-agent.service";

  # SIGKILL to the main process only (a crash, not a stop), then cancel the
  # restart systemd would schedule: the local runner's killed processes stay
  # dead until the scenario restarts them.
  kill = unit: "systemctl kill --kill-who=main --signal=SIGKILL ${unit}; systemctl stop ${unit}";

  # A byte in the middle of the file XOR 1, in place (od reads it, dd writes
  # it back): the signature no longer verifies. tests/lib/harness runs it.
  flipByte =
    file:
    ''f=${file}; n=$(stat -c %s "$f"); o=$((n / 2)); b=$(od -An -tu1 -j "$o" -N1 "$f" | tr -d ' \n'); printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$f" bs=1 seek="$o" count=1 conv=notrunc status=none'';

  artifactFile = {
    "fleet.resolved" = "${c.paths.releases}/fleet.resolved.json";
    "revocations" = "${c.paths.releases}/revocations.json";
    # The newest signed rollout manifest.
    "rollout-manifest" = "$(ls -t ${c.paths.releases}/rollouts/*.json | head -n 1)";
  };
in
rec {
  /**
    The fields each kind reads (besides `kind`). A field set on a kind
    that does not read it fails evaluation instead of being ignored.

    Type: reads :: { <kind> = [ string ]; }
  */
  reads =
    let
      onHosts = [ "hosts" "duringActivation" ];
    in
    {
      killCp = [ ];
      restartCp = [ ];
      wipeCpDb = [ ];
      killAgent = onHosts;
      restartAgent = onHosts;
      cutNetwork = onHosts;
      restoreNetwork = onHosts;
      tamperArtifact = [ "artifact" ];
      skewClock = [ "hosts" "seconds" ];
      replayEnrollToken = [ "hosts" ];
      startAgent = [ "hosts" ];
      removeProbeFile = [ "hosts" ];
    };

  /**
    Fault kinds this runner plays.

    Type: kinds :: [ string ]
  */
  kinds = [
    "killCp"
    "restartCp"
    "wipeCpDb"
    "killAgent"
    "restartAgent"
    "cutNetwork"
    "restoreNetwork"
    "tamperArtifact"
    "skewClock"
    "replayEnrollToken"
    "startAgent"
    "removeProbeFile"
  ];

  inherit flipByte;

  /**
    One fault as commands on nodes. `ctx` = { scenario, where, hosts }.
    `waitFor` lists hosts that must be Activating first
    (`duringActivation`); `hostWaits` are commands polled on hosts until
    they succeed before the fault (a switch in flight); `cpRestarted` says
    the cp's port must be awaited afterwards.

    Type: inject :: ctx -> fault -> { kind, waitFor :: [ string ], hostWaits :: [ { node, command } ], commands :: [ { node, command } ], cpRestarted :: bool }
  */
  inject =
    ctx: fault:
    let
      kind = fault.kind or null;
      fail = msg: throw "harness ${ctx.scenario}, ${ctx.where}: fault ${toString kind}: ${msg}";
      hosts = fault.hosts or [ ];
      unknownHosts = filter (h: !(elem h ctx.hosts)) hosts;
      # Fields set (not null, not empty, not false) this kind would not read.
      ignored = builtins.filter (
        f: f != "kind" && !(elem f (reads.${kind} or [ ])) && fault.${f} != null && fault.${f} != [ ] && fault.${f} != false
      ) (builtins.attrNames fault);
      onHosts =
        command:
        if hosts == [ ] then
          fail "needs `hosts`"
        else
          map (h: {
            node = h;
            inherit command;
          }) hosts;
      onCp = command: [
        {
          node = "cp";
          inherit command;
        }
      ];
      seconds = if (fault.seconds or null) == null then fail "needs `seconds`" else fault.seconds;
      spec =
        if kind == "killAgent" && (fault.duringActivation or false) then
          {
            # ts/harness/boot-recovery.ts: the kill lands inside the switch
            # itself, and what it hit is recorded on the host.
            hostWaits = map (h: {
              node = h;
              command = "nixfleet-harness-recovery await-switch";
            }) hosts;
            commands = concatMap (h: [
              {
                node = h;
                command = kill agentUnit;
              }
              {
                node = h;
                command = "nixfleet-harness-recovery killed";
              }
            ]) hosts;
          }
        else if kind == "restartAgent" then
          {
            commands = concatMap (h: [
              {
                node = h;
                command = "systemctl restart ${agentUnit}";
              }
              {
                # A no-op unless the host was killed inside a switch.
                node = h;
                command = "nixfleet-harness-recovery restarted";
              }
            ]) (if hosts == [ ] then fail "needs `hosts`" else hosts);
          }
        else if kind == "startAgent" then
          {
            # First start of a host in notStarted (its unit is not wanted at boot).
            commands = onHosts "systemctl start ${agentUnit}";
          }
        else if kind == "replayEnrollToken" then
          {
            # The replay comes from outside the host's agent (an attacker
            # holding a copy of the token and the host key): the cp node.
            commands = map (h: {
              node = "cp";
              command = "nixfleet-harness-replay-token ${h}";
            }) (if hosts == [ ] then fail "needs `hosts`" else hosts);
          }
        else if kind == "removeProbeFile" then
          let
            # The sandbox backend's store and current-system live under the
            # agent's state directory, as in the local runner.
            root = "${c.paths.agentState}/sandbox";
            cmd = ''c=$(basename "$(readlink ${root}/run/current-system)"); f="${root}/nix/store/$c/etc/nixfleet/agent/health-checks.json"; test -e "$f" || { echo "removeProbeFile: $c has no probe file to remove" >&2; exit 1; }; chmod u+w "$(dirname "$f")"; rm "$f"; systemctl restart ${agentUnit}'';
          in
          { commands = if hosts == [ ] then fail "needs `hosts`" else onHosts cmd; }
        else if kind == "killCp" then
          { commands = onCp (kill cpUnit); }
        else if kind == "restartCp" then
          {
            commands = onCp "systemctl restart ${cpUnit}";
            cpRestarted = true;
          }
        else if kind == "wipeCpDb" then
          {
            # The whole CP state as the loopback runner wipes it: the database
            # and the CP's copy of the last adopted release next to it.
            commands = onCp "${kill cpUnit}; rm -rf ${c.paths.cpDb} ${c.paths.cpDb}-wal ${c.paths.cpDb}-shm ${c.paths.cpDb}-journal ${dirOf c.paths.cpDb}/last-release; systemctl start ${cpUnit}";
            cpRestarted = true;
          }
        else if kind == "killAgent" then
          { commands = onHosts (kill agentUnit); }
        else if kind == "cutNetwork" then
          # eth1 is the test network (eth0 is QEMU's user network, unused).
          { commands = onHosts "ip link set eth1 down"; }
        else if kind == "restoreNetwork" then
          { commands = onHosts "ip link set eth1 up"; }
        else if kind == "tamperArtifact" then
          let
            a = fault.artifact or null;
          in
          if a == null then
            fail "needs `artifact`"
          else if !(artifactFile ? ${a}) then
            c.unsupported ctx.scenario ctx.where "tamperArtifact artifact ${toJSON a}"
          else
            { commands = onCp (flipByte artifactFile.${a}); }
        else if kind == "skewClock" then
          let
            # timesyncd would undo the skew; no hosts: the control plane's clock.
            cmd = "systemctl stop systemd-timesyncd.service || true; date -s \"@$(( $(date +%s) + (${toString seconds}) ))\"";
          in
          { commands = if hosts == [ ] then onCp cmd else onHosts cmd; }
        else
          c.unsupported ctx.scenario ctx.where "fault kind ${toJSON kind}";
    in
    if unknownHosts != [ ] then
      fail "unknown hosts ${concatStringsSep ", " unknownHosts}"
    else if reads ? ${kind} && ignored != [ ] then
      fail "does not read ${concatStringsSep ", " (map (f: "`${f}`") ignored)} (it reads ${concatStringsSep ", " (reads.${kind} or [ ])})"
    else
      {
        inherit kind;
        waitFor = if fault.duringActivation or false then (if hosts == [ ] then fail "duringActivation needs `hosts`" else hosts) else [ ];
        cpRestarted = false;
        hostWaits = [ ];
      }
      // spec;
}
