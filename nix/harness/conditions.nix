# The microVM runner's wait conditions (contracts/harness-scenario.nix
# `steps.*.wait`): each kind becomes a shell command run on the cp node that
# succeeds once the condition holds — the operator CLI (or /healthz) piped
# into a `jq -e` filter — so the test script polls it with
# `wait_until_succeeds`. Same semantics as the local runner's Observer
# (ts/harness/observe.ts). The parts (source, filter, arguments) are exposed
# so tests/lib/harness runs each filter against documents in the CP's API
# shapes. Builtins only.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    elem
    filter
    toJSON
    ;
  c = import ./common.nix;

  # The test driver runs commands under `set -euo pipefail`; `status` exits 1
  # when a host failed, which some conditions wait for, so only 2+ fails.
  statusSource = "{ ${c.cli [ "status" "--json" ]} || [ $? -eq 1 ]; }";
  healthSource = "curl -sf --cacert ${c.paths.pki}/ca.crt ${c.cpUrl}/healthz";
  # JSON lines of every rollout's events (nix/harness/microvm.nix installs
  # it on the cp node; its text is `eventsScript` in nix/harness/scripts.nix).
  eventsSource = "nixfleet-harness-events";

  rows = ''[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))]'';
  everyRow = cond: ''${rows} as $rows | ($rows | length) == ($hosts | length) and all($rows[]; ${cond})'';
  released = gen: "${c.paths.released}/${gen}.json";
  # jq 1.6: an RFC 3339 instant (the CP's, with milliseconds) in ms.
  msDef = ''def ms: capture("^(?<s>[^.Z]+)([.](?<f>[0-9]+))?Z$") | ((.s + "Z") | fromdateiso8601) * 1000 + (((.f // "") + "000")[0:3] | tonumber);'';
  recoveryFile = h: "${c.paths.gathered}/${h}.recovery.json";
in
rec {
  /**
    The fields each kind reads (besides `kind`). A field set on a kind
    that does not read it fails evaluation instead of being ignored.

    Type: reads :: { <kind> = [ string ]; }
  */
  reads = {
    hostsConverged = [ "hosts" ];
    hostState = [ "hosts" "state" ];
    hostCurrent = [ "hosts" "generation" ];
    rolloutState = [ "channel" "state" ];
    hostQuarantined = [ "channel" "generation" ];
    cpAlert = [ "code" ];
    agentRejected = [ "hosts" "code" ];
    enrollRefused = [ "hosts" ];
    hostRecovered = [ "hosts" ];
    decision = [ "channel" "code" "hosts" ];
    notDispatched = [ "hosts" ];
    probeFailed = [ "hosts" "code" ];
  };

  /**
    Condition kinds this runner plays.

    Type: kinds :: [ string ]
  */
  kinds = [
    "hostState"
    "hostsConverged"
    "rolloutState"
    "hostCurrent"
    "hostQuarantined"
    "cpAlert"
    "agentRejected"
    "enrollRefused"
    "hostRecovered"
    "decision"
    "notDispatched"
    "probeFailed"
  ];

  /**
    The check of one condition. `ctx` = { scenario, where, hosts (every
    host of the fleet), released (generations released before this step) }.
    Throws "not supported by the microVM runner" for an unknown kind, and a
    plain error naming the step for a condition missing a field its kind
    needs.

    `gather` lists host commands whose output the test driver copies to a
    file on the cp node before each attempt (hostRecovered).

    Type: check :: ctx -> condition -> { source, slurp :: bool, filter, argjson :: attrset, slurpfile :: attrset, gather :: [ { node, command, file } ], command }
  */
  check =
    ctx: cond:
    let
      kind = cond.kind or null;
      fail = msg: throw "harness ${ctx.scenario}, ${ctx.where}: wait ${toString kind}: ${msg}";
      need = field: if (cond.${field} or null) == null then fail "needs `${field}`" else cond.${field};
      targets = if (cond.hosts or [ ]) == [ ] then ctx.hosts else cond.hosts;
      # Conditions about what happened to named hosts (as the local runner,
      # which fails them when they name none).
      named = if (cond.hosts or [ ]) == [ ] then fail "needs `hosts`" else cond.hosts;
      unknownHosts = filter (h: !(elem h ctx.hosts)) targets;
      # Fields set (not null, not empty) that this kind would not read.
      ignored = filter (f: f != "kind" && !(elem f (reads.${kind} or [ ])) && cond.${f} != null && cond.${f} != [ ]) (attrNames cond);
      generation =
        let
          g = need "generation";
        in
        if elem g ctx.released then g else fail "generation ${g} is not released before this step";

      spec =
        if kind == "hostsConverged" then
          {
            source = statusSource;
            filter = everyRow ''.state == "Converged" and .currentClosure != null and .currentClosure == .declaredClosure'';
            argjson.hosts = targets;
          }
        else if kind == "hostState" then
          {
            source = statusSource;
            filter = everyRow ".state == $state";
            argjson = {
              hosts = targets;
              state = need "state";
            };
          }
        else if kind == "hostCurrent" then
          {
            source = statusSource;
            # The closure each host got in the generation's latest release
            # (the release summary `nixfleet release --json` printed).
            filter = ''.hosts as $rows | $rel[0].closures as $c | all($hosts[]; . as $n | ($c[$n] // null) != null and ([$rows[] | select(.hostname == $n) | .currentClosure][0] // null) == $c[$n])'';
            argjson.hosts = targets;
            slurpfile.rel = released generation;
          }
        else if kind == "rolloutState" then
          {
            source = statusSource;
            # Rollouts are newest first: the channel's latest one.
            filter = ''([.rollouts[] | select(.channel == $channel)][0].state // null) == $state'';
            argjson = {
              channel = need "channel";
              state = need "state";
            };
          }
        else if kind == "hostQuarantined" then
          {
            source = statusSource;
            # Some closure of the generation (any host) is quarantined on the channel.
            filter = ''[$rel[0].closures[]] as $want | any(.channels[] | select(.name == $channel) | .quarantinedClosures[]; .closure as $q | any($want[]; . == $q))'';
            argjson.channel = need "channel";
            slurpfile.rel = released generation;
          }
        else if kind == "cpAlert" then
          {
            source = healthSource;
            # A prefix: a flipped byte surfaces as BadSignature, NotCanonical
            # or Malformed depending on where it lands. No code: any alert.
            filter = ''if $code == null then (.alerts | length) > 0 else any(.alerts[]; .code | startswith($code)) end'';
            argjson.code = cond.code or null;
          }
        else if kind == "agentRejected" then
          {
            source = eventsSource;
            slurp = true;
            # The CP logs agent events as Remote<Kind>, the agent event in the
            # body. The code is the reason, or the typed error code the detail
            # starts with (TRUST_ERR_STALE and TRUST_ERR_FUTURE_DATED share reason Stale).
            filter = ''[.[] | select((.kind | sub("^Remote"; "")) == "DispatchReject" and ((.payload.event // .payload // {}) as $b | $code == null or $b.reason == $code or (($b.detail // "") | tostring | startswith($code)))) | .hostname] as $rej | all($hosts[]; . as $n | any($rej[]; . == $n))'';
            argjson = {
              hosts = targets;
              code = cond.code or null;
            };
          }
        else if kind == "probeFailed" then
          {
            source = eventsSource;
            slurp = true;
            # ts/harness/observe.ts: a failing enforce RemoteProbeResult from
            # each host, in the core's field names, whose failureReason starts
            # with the code. None logged is a failure.
            filter = ''[.[] | select((.kind | sub("^Remote"; "")) == "ProbeResult" and ((.payload.event // .payload // {}) as $b | $b.status == "Fail" and $b.mode == "enforce" and ($code == null or (($b.failureReason // "") | tostring | startswith($code))))) | .hostname] as $f | all($hosts[]; . as $n | any($f[]; . == $n))'';
            argjson = {
              hosts = targets;
              code = cond.code or null;
            };
          }
        else if kind == "enrollRefused" then
          {
            # nixfleet-harness-enroll-state: replays, minted nonces, issuance log.
            source = "nixfleet-harness-enroll-state";
            # ts/harness/enroll-replay.ts checkEnrollRefused: each host's
            # token was replayed and answered 409 CP_ERR_TOKEN_REPLAYED
            # without a certificate; the issuance log holds exactly one
            # enrollment certificate for the host, with its token's nonce,
            # and nothing issued at or after the replay. No replay recorded
            # is a failure.
            filter = ''${msDef} . as $d | ($hosts | length) > 0 and all($hosts[]; . as $h | ($d.replays[$h] // null) as $r | [$d.issuance[] | select(.hostname == $h and .via == "enroll")] as $e | $r != null and $r.status == 409 and $r.code == "CP_ERR_TOKEN_REPLAYED" and ($r.issuedCertificate | not) and ($e | length) == 1 and $e[0].nonce == ($d.nonces[$h] // null) and ([$e[] | select((.at | ms) >= $r.at)] | length) == 0)'';
            argjson.hosts = named;
          }
        else if kind == "hostRecovered" then
          {
            # The CP's events, then what each host recorded
            # (nixfleet-harness-recovery state, gathered from the hosts by
            # the test driver before each attempt).
            source = "{ nixfleet-harness-events | jq -cs '{ events: . }'; cat ${concatStringsSep " " (map recoveryFile (named))}; }";
            slurp = true;
            # ts/harness/boot-recovery.ts RecoveryLedger.check: killed while
            # its switch ran (and the switch outlived the agent), restarted,
            # the new process logged boot recovery of an Activating record,
            # the CP got ActivationComplete and Converged for that rollout
            # after the restart, and the interrupted switch exited 0 with no
            # switch launched between the restart and ActivationComplete.
            filter = ''${msDef} def rollout: (.payload // {}) | if type == "object" then (.rolloutId // .rollout_id // null) else null end; .[0].events as $ev | .[1:] as $hd | ($hosts | length) > 0 and all($hosts[]; . as $h | ([$hd[] | select(.host == $h)][0] // null) as $d | $d != null and $d.record != null and $d.record.switchId != null and $d.record.inFlightAfterKill == true and $d.record.restartedAt != null and $d.recovery != null and $d.recovery.state == "Activating" and ($d.recovery.rolloutId | type) == "string" and ($d.recovery.rolloutId as $rid | [$ev[] | select(.hostname == $h and rollout == $rid and (.at | ms) >= $d.record.restartedAt)] as $mine | ([$mine[] | select((.kind | sub("^Remote"; "")) == "ActivationComplete")][0] // null) as $done | $done != null and any($mine[]; (.kind | sub("^Remote"; "")) == "Converged") and ([$d.switches[] | select(.id == $d.record.switchId)][0].exitCode // null) == "0" and ([$d.switches[] | select(.launchedAt >= $d.record.restartedAt and .launchedAt <= ($done.at | ms))] | length) == 0))'';
            argjson.hosts = named;
            gather = map (h: {
              node = h;
              command = "nixfleet-harness-recovery state ${h}";
              file = recoveryFile h;
            }) (named);
          }
        else if kind == "decision" then
          {
            # The latest trace of the channel's newest rollout (status lists
            # rollouts newest first), as ts/harness/observe.ts checkDecision.
            source = "id=$(${statusSource} | jq -r --arg ch ${c.shellArg (need "channel")} '[.rollouts[] | select(.channel == $ch)][0].rolloutId // empty') && [ -n \"$id\" ] && ${c.cli [ "rollout" "trace" ]} \"$id\" --json";
            # The reason names each host as a whole word.
            filter = ''any(.decisions[]; .code == $code and (.reason as $r | all($hosts[]; . as $h | $r | test("(^|[^a-z0-9._-])" + $h + "($|[^a-z0-9_-])"))))'';
            argjson = {
              hosts = named;
              code = need "code";
            };
          }
        else if kind == "notDispatched" then
          {
            source = eventsSource;
            slurp = true;
            # No HostJoined (CP) nor DispatchAck (agent) for any named host.
            filter = ''[.[] | select(((.kind | sub("^Remote"; "")) == "DispatchAck" or .kind == "HostJoined") and ((.hostname // (.payload.event // .payload // {}).hostname // null) as $n | any($hosts[]; . == $n)))] | length == 0'';
            argjson.hosts = named;
          }
        else
          c.unsupported ctx.scenario ctx.where "wait kind ${toJSON kind}";

      full = {
        gather = [ ];
        slurp = false;
        argjson = { };
        slurpfile = { };
      } // spec;
      jqArgs =
        (if full.slurp then [ "-s" ] else [ ])
        ++ builtins.concatMap (n: [ "--argjson" n (toJSON full.argjson.${n}) ]) (attrNames full.argjson)
        ++ builtins.concatMap (n: [ "--slurpfile" n full.slurpfile.${n} ]) (attrNames full.slurpfile);
    in
    if unknownHosts != [ ] then
      fail "unknown hosts ${concatStringsSep ", " unknownHosts}"
    else if reads ? ${kind} && ignored != [ ] then
      fail "does not read ${concatStringsSep ", " (map (f: "`${f}`") ignored)} (it reads ${concatStringsSep ", " (reads.${kind} or [ ])})"
    else
      full
      // {
        # stderr of the source stays visible in the test log; jq -e decides.
        command = "${full.source} | jq -e ${concatStringsSep " " (map c.shellArg (jqArgs ++ [ full.filter ]))}";
      };
}
