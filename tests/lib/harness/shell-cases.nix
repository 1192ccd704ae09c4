# Data for checks.sh: the generated test scripts, every shell command they
# run, the jq parts of each condition with API documents on which it must
# hold or not, and the invariant program with event logs that keep or break
# each invariant. Builtins only.
#
#   nix-instantiate --eval --strict --json tests/lib/harness/shell-cases.nix
let
  inherit (builtins) attrNames filter listToAttrs map;
  h = import ../../../nix/harness/plan.nix;
  conditions = import ../../../nix/harness/conditions.nix;
  faults = import ../../../nix/harness/faults.nix;
  invariants = import ../../../nix/harness/invariants.nix;

  dir = ../../harness/scenarios;
  real = if builtins.pathExists dir then filter (n: builtins.match ".*[.]nix" n != null) (attrNames (builtins.readDir dir)) else [ ];
  scenarioFiles = map (f: {
    name = "scenario ${f}";
    file = dir + "/${f}";
  }) real
  ++ [
    {
      name = "fixture smoke.nix";
      file = ./fixtures/smoke.nix;
    }
    {
      name = "fixture all-kinds.nix";
      file = ./fixtures/all-kinds.nix;
    }
  ];

  ctx = {
    scenario = "jq";
    where = "step 0";
    hosts = [ "web-01" "web-02" ];
    released = [ "g1" ];
  };

  host = name: state: current: declared: {
    hostname = name;
    channel = "stable";
    inherit state;
    currentClosure = current;
    declaredClosure = declared;
    reachable = true;
  };
  a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01-g1";
  b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-web-02-g1";
  old = "cccccccccccccccccccccccccccccccc-nixos-system-web-02-g0";
  status =
    { hosts, rollouts ? [ ], quarantined ? [ ] }:
    {
      generatedAt = "2026-05-16T01:30:00Z";
      inherit hosts rollouts;
      channels = [
        {
          name = "stable";
          quarantinedClosures = map (q: {
            closure = q;
            since = "2026-05-16T01:28:40Z";
            rolloutId = null;
          }) quarantined;
        }
      ];
    };
  converged = status {
    hosts = [
      (host "web-01" "Converged" a a)
      (host "web-02" "Converged" b b)
    ];
  };
  halfway = status {
    hosts = [
      (host "web-01" "Converged" a a)
      (host "web-02" "Activating" old b)
    ];
  };
  released.closures = {
    web-01 = a;
    web-02 = b;
  };
  event = seq: hostname: kind: rolloutId: at: extra: {
    inherit seq hostname at;
    kind = "Remote${kind}";
    payload = {
      inherit rolloutId;
      inherit hostname;
      event = { inherit kind; } // extra;
    };
  };

  # A rollout trace whose one decision is a wave hold with `reason`.
  trace = reason: {
    rolloutId = "stable@aa";
    decisions = [
      {
        ts = "2026-05-16T01:27:00Z";
        decision = "hold";
        code = "WAVE_AWAITING_NEVER_SEEN";
        gate = "wave-promotion";
        channel = "stable";
        rollout = "stable@aa";
        wave = 0;
        host = null;
        transition = null;
        inherit reason;
        budgets = null;
      }
    ];
  };

  # Each: condition, document, release summary, expected jq -e outcome.
  jqCase = name: cond: doc: expect: {
    inherit name doc expect;
    check = conditions.check ctx cond;
    rel = released;
  };
  jqCases = [
    (jqCase "hostsConverged holds" { kind = "hostsConverged"; } converged true)
    (jqCase "hostsConverged not yet" { kind = "hostsConverged"; } halfway false)
    (jqCase "hostsConverged host absent" { kind = "hostsConverged"; } (status { hosts = [ (host "web-01" "Converged" a a) ]; }) false)
    (jqCase "hostsConverged subset" { kind = "hostsConverged"; hosts = [ "web-01" ]; } halfway true)
    (jqCase "hostState holds" { kind = "hostState"; hosts = [ "web-02" ]; state = "Activating"; } halfway true)
    (jqCase "hostState differs" { kind = "hostState"; state = "Converged"; } halfway false)
    (jqCase "hostCurrent holds" { kind = "hostCurrent"; generation = "g1"; } converged true)
    (jqCase "hostCurrent old closure" { kind = "hostCurrent"; generation = "g1"; } halfway false)
    (jqCase "hostCurrent one host" { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "g1"; } halfway true)
    (jqCase "rolloutState newest of the channel" { kind = "rolloutState"; channel = "stable"; state = "Reverted"; } (status { hosts = [ ]; rollouts = [ { rolloutId = "stable@bb"; channel = "stable"; state = "Reverted"; } { rolloutId = "stable@aa"; channel = "stable"; state = "Converged"; } ]; }) true)
    (jqCase "rolloutState an older rollout does not count" { kind = "rolloutState"; channel = "stable"; state = "Converged"; } (status { hosts = [ ]; rollouts = [ { rolloutId = "stable@bb"; channel = "stable"; state = "Reverted"; } { rolloutId = "stable@aa"; channel = "stable"; state = "Converged"; } ]; }) false)
    (jqCase "rolloutState no rollout" { kind = "rolloutState"; channel = "stable"; state = "Reverted"; } converged false)
    (jqCase "hostQuarantined holds" { kind = "hostQuarantined"; channel = "stable"; generation = "g1"; } (status { hosts = [ ]; quarantined = [ old b ]; }) true)
    (jqCase "hostQuarantined other closure" { kind = "hostQuarantined"; channel = "stable"; generation = "g1"; } (status { hosts = [ ]; quarantined = [ old ]; }) false)
    (jqCase "cpAlert prefix" { kind = "cpAlert"; code = "TRUST_ERR"; } { status = "degraded"; alerts = [ { code = "TRUST_ERR_BAD_SIGNATURE"; message = "x"; since = "2026-05-16T01:28:40Z"; } ]; } true)
    (jqCase "cpAlert other code" { kind = "cpAlert"; code = "TRUST_ERR"; } { status = "degraded"; alerts = [ { code = "ARTIFACT_STALE"; message = "x"; since = "2026-05-16T01:28:40Z"; } ]; } false)
    (jqCase "cpAlert none" { kind = "cpAlert"; } { status = "ok"; alerts = [ ]; } false)
    (jqCase "agentRejected every host" { kind = "agentRejected"; code = "ClosureUntrusted"; } [
      (event 3 "web-01" "DispatchReject" "stable@aa" "2026-05-16T01:27:05Z" { reason = "ClosureUntrusted"; })
      (event 4 "web-02" "DispatchReject" "stable@aa" "2026-05-16T01:27:06Z" { reason = "ClosureUntrusted"; })
    ] true)
    (jqCase "agentRejected by the typed code the detail starts with" { kind = "agentRejected"; code = "TRUST_ERR_STALE"; } [
      (event 3 "web-01" "DispatchReject" "stable@aa" "2026-05-16T01:27:05Z" { reason = "Stale"; detail = "TRUST_ERR_STALE: signed 3 h ago"; })
      (event 4 "web-02" "DispatchReject" "stable@aa" "2026-05-16T01:27:06Z" { reason = "Stale"; detail = "TRUST_ERR_STALE: signed 3 h ago"; })
    ] true)
    (jqCase "agentRejected another typed code" { kind = "agentRejected"; code = "TRUST_ERR_STALE"; } [
      (event 3 "web-01" "DispatchReject" "stable@aa" "2026-05-16T01:27:05Z" { reason = "Stale"; detail = "TRUST_ERR_FUTURE_DATED: signed in 2 h"; })
      (event 4 "web-02" "DispatchReject" "stable@aa" "2026-05-16T01:27:06Z" { reason = "Stale"; detail = "TRUST_ERR_STALE: signed 3 h ago"; })
    ] false)
    (jqCase "agentRejected one host missing" { kind = "agentRejected"; code = "ClosureUntrusted"; } [
      (event 3 "web-01" "DispatchReject" "stable@aa" "2026-05-16T01:27:05Z" { reason = "ClosureUntrusted"; })
      (event 4 "web-02" "DispatchReject" "stable@aa" "2026-05-16T01:27:06Z" { reason = "ManifestStale"; })
    ] false)
    (jqCase "decision names the host" { kind = "decision"; channel = "stable"; code = "WAVE_AWAITING_NEVER_SEEN"; hosts = [ "web-02" ]; } (trace "wave 0 held: 1 member never seen (no heartbeat ever): web-02; the wave waits") true)
    (jqCase "decision names a host only as part of a longer name" { kind = "decision"; channel = "stable"; code = "WAVE_AWAITING_NEVER_SEEN"; hosts = [ "web-01" ]; } (trace "wave 0 held: 1 member never seen (no heartbeat ever): web-01b; the wave waits") false)
    (jqCase "decision other code" { kind = "decision"; channel = "stable"; code = "WAVE_TOO_FEW_SOAKED"; hosts = [ "web-02" ]; } (trace "wave 0 held: 1 member never seen (no heartbeat ever): web-02; the wave waits") false)
    (jqCase "notDispatched holds" { kind = "notDispatched"; hosts = [ "web-02" ]; } [
      (event 3 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:05Z" { })
    ] true)
    (jqCase "notDispatched a HostJoined" { kind = "notDispatched"; hosts = [ "web-02" ]; } [
      {
        seq = 4;
        hostname = null;
        kind = "HostJoined";
        at = "2026-05-16T01:27:06Z";
        payload = { rolloutId = "stable@aa"; hostname = "web-02"; wave = 1; catchUp = false; };
      }
    ] false)
    (jqCase "notDispatched an ack" { kind = "notDispatched"; hosts = [ "web-01" ]; } [
      (event 3 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:05Z" { })
    ] false)
  ]
  ++ map (x: jqCase "enrollRefused ${x.name}" { kind = "enrollRefused"; hosts = [ "web-01" ]; } (enrollDoc x.doc) x.expect) enrollCases
  ++ map (x: jqCase "hostRecovered ${x.name}" { kind = "hostRecovered"; hosts = [ "web-01" ]; } ([ { events = x.events or recoveredEvents; } ] ++ x.hosts) x.expect) recoveryCases;

  # nixfleet-harness-enroll-state documents: the replay at 01:27:00.500 (ms).
  replayAt = 1778894820500;
  replay = status: code: cert: {
    host = "web-01";
    at = replayAt;
    inherit status code;
    issuedCertificate = cert;
    detail = "";
  };
  issued = at: nonce: {
    inherit at nonce;
    via = "enroll";
    hostname = "web-01";
    serial = "0a";
  };
  enrollDoc = d: {
    replays = d.replays or { web-01 = replay 409 "CP_ERR_TOKEN_REPLAYED" false; };
    nonces = d.nonces or { web-01 = "n1"; };
    issuance = d.issuance or [ (issued "2026-05-16T01:26:50.000Z" "n1") ];
  };
  enrollCases = [
    { name = "holds"; doc = { }; expect = true; }
    { name = "a renewal afterwards is not an enrollment"; doc.issuance = [ (issued "2026-05-16T01:26:50.000Z" "n1") ((issued "2026-05-16T01:27:30.000Z" null) // { via = "renew"; }) ]; expect = true; }
    { name = "no replay recorded"; doc.replays = { }; expect = false; }
    { name = "replay answered 200 with a certificate"; doc.replays.web-01 = replay 200 null true; expect = false; }
    { name = "replay answered 409 for another reason"; doc.replays.web-01 = replay 409 "CP_ERR_NONCE_NOT_ALLOWED" false; expect = false; }
    { name = "no response"; doc.replays.web-01 = replay null null false; expect = false; }
    { name = "never enrolled"; doc.issuance = [ ]; expect = false; }
    { name = "enrolled with another nonce"; doc.issuance = [ (issued "2026-05-16T01:26:50.000Z" "n2") ]; expect = false; }
    { name = "a second enrollment certificate"; doc.issuance = [ (issued "2026-05-16T01:26:50.000Z" "n1") (issued "2026-05-16T01:26:55.000Z" "n1") ]; expect = false; }
    { name = "the only certificate issued after the replay (same ms)"; doc.issuance = [ (issued "2026-05-16T01:27:00.500Z" "n1") ]; expect = false; }
  ];

  # hostRecovered: killed at 01:27:00 inside switch 1778894818000-aa, restarted at 01:27:02.
  restartedAt = 1778894822000;
  record = {
    switchId = "1778894818000-aa";
    inFlightAfterKill = true;
    killedAt = 1778894820000;
    inherit restartedAt;
    invocation = "0123";
  };
  hostData = over: {
    host = "web-01";
    record = record // (over.record or { });
    recovery = over.recovery or {
      msg = "boot recovery";
      state = "Activating";
      rolloutId = "stable@aa";
    };
    switches = over.switches or [
      {
        id = "1778894818000-aa";
        launchedAt = 1778894818000;
        exitCode = "0";
      }
    ];
  };
  recoveredEvents = [
    (event 1 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:26:57Z" { })
    (event 2 "web-01" "ActivationComplete" "stable@aa" "2026-05-16T01:27:03.100Z" { })
    (event 3 "web-01" "Converged" "stable@aa" "2026-05-16T01:27:04Z" { })
  ];
  recoveryCases = [
    { name = "holds"; hosts = [ (hostData { }) (hostData { } // { host = "web-02"; record = null; }) ]; expect = true; }
    { name = "no data from the host"; hosts = [ ]; expect = false; }
    { name = "no kill recorded"; hosts = [ ((hostData { }) // { record = null; }) ]; expect = false; }
    { name = "the switch had exited when the agent died"; hosts = [ (hostData { record.inFlightAfterKill = false; }) ]; expect = false; }
    { name = "never restarted"; hosts = [ (hostData { record.restartedAt = null; }) ]; expect = false; }
    { name = "no boot recovery logged"; hosts = [ (hostData { recovery = null; }) ]; expect = false; }
    { name = "recovered a Converged record"; hosts = [ (hostData { recovery = { msg = "boot recovery"; state = "Converged"; rolloutId = "stable@aa"; }; }) ]; expect = false; }
    { name = "ActivationComplete before the restart only"; events = [ (event 2 "web-01" "ActivationComplete" "stable@aa" "2026-05-16T01:27:01Z" { }) (event 3 "web-01" "Converged" "stable@aa" "2026-05-16T01:27:04Z" { }) ]; hosts = [ (hostData { }) ]; expect = false; }
    { name = "no Converged after the restart"; events = [ (event 2 "web-01" "ActivationComplete" "stable@aa" "2026-05-16T01:27:03Z" { }) ]; hosts = [ (hostData { }) ]; expect = false; }
    { name = "events of another rollout"; events = map (e: e // { payload = e.payload // { rolloutId = "stable@bb"; }; }) recoveredEvents; hosts = [ (hostData { }) ]; expect = false; }
    { name = "the interrupted switch failed"; hosts = [ (hostData { switches = [ { id = "1778894818000-aa"; launchedAt = 1778894818000; exitCode = "1"; } ]; }) ]; expect = false; }
    { name = "the interrupted switch never exited"; hosts = [ (hostData { switches = [ { id = "1778894818000-aa"; launchedAt = 1778894818000; exitCode = null; } ]; }) ]; expect = false; }
    { name = "a switch re-fired after the restart"; hosts = [ (hostData { switches = [ { id = "1778894818000-aa"; launchedAt = 1778894818000; exitCode = "0"; } { id = "1778894822500-bb"; launchedAt = 1778894822500; exitCode = "0"; } ]; }) ]; expect = false; }
  ];

  manifest = id: waves: {
    inherit id;
    manifest.hostSet = map (x: {
      hostname = builtins.elemAt x 0;
      waveIndex = builtins.elemAt x 1;
    }) waves;
  };
  twoWaves = [ (manifest "stable@aa" [ [ "web-01" 0 ] [ "web-02" 1 ] ]) ];
  inOrder = [
    (event 1 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:00Z" { })
    (event 2 "web-01" "Converged" "stable@aa" "2026-05-16T01:27:10.250Z" { })
    (event 3 "web-02" "DispatchAck" "stable@aa" "2026-05-16T01:27:10.5Z" { })
    (event 4 "web-02" "Converged" "stable@aa" "2026-05-16T01:27:20Z" { })
  ];
  invCase = name: invs: events: manifests: expect: {
    inherit name events manifests expect;
    budgets = [ ];
    program = invariants.program { scenario = "jq"; } invs;
  };
  # Budget of two over web-01..03; HostStateChanged bodies carry agent time.
  budget = [
    {
      label = "budget #0 (tags=web, limit 2, 3 hosts)";
      limit = 2;
      members = [ "web-01" "web-02" "web-03" ];
    }
  ];
  changed = seq: host: to: at: offsetMs: {
    inherit seq at;
    hostname = host;
    kind = "HostStateChanged";
    payload = {
      rolloutId = "stable@aa";
      hostname = host;
      inherit to;
      at = 1778894830000 + offsetMs;
    };
  };
  budgetCase = name: events: expect: (invCase name [ "budgetsRespected" ] events twoWaves expect) // { budgets = budget; };
  invCases = [
    (budgetCase "budget: two in flight, one leaves before the third enters (same instant)" [
      (changed 1 "web-01" "Activating" "2026-05-16T01:27:10Z" 0)
      (changed 2 "web-02" "Activating" "2026-05-16T01:27:10Z" 100)
      (changed 4 "web-03" "Activating" "2026-05-16T01:27:10Z" 500)
      (changed 3 "web-01" "Converged" "2026-05-16T01:27:10Z" 500)
      (changed 5 "web-02" "Soaking" "2026-05-16T01:27:10Z" 600)
    ] [ ])
    (budgetCase "budget: three in flight" [
      (changed 1 "web-01" "Activating" "2026-05-16T01:27:10Z" 0)
      (changed 2 "web-02" "Activating" "2026-05-16T01:27:10Z" 100)
      (changed 3 "web-03" "Soaking" "2026-05-16T01:27:10Z" 200)
    ] [ "budgetsRespected: budget #0 (tags=web, limit 2, 3 hosts) exceeded at 1778894830200 ms: 3 in flight [web-01, web-02, web-03]" ])
    (budgetCase "budget: no member ever in flight" [ (changed 1 "web-01" "Converged" "2026-05-16T01:27:10Z" 0) ] [
      "budgetsRespected: budget #0 (tags=web, limit 2, 3 hosts): no member host was ever in flight, no evidence to check"
    ])
    (invCase "waves in order" [ "wavesInOrder" ] inOrder twoWaves [ ])
    (invCase "wave 1 acked before wave 0 converged (sub-second)" [ "wavesInOrder" ] [
      (event 1 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:00Z" { })
      (event 2 "web-02" "DispatchAck" "stable@aa" "2026-05-16T01:27:10.100Z" { })
      (event 3 "web-01" "Converged" "stable@aa" "2026-05-16T01:27:10.250Z" { })
    ] twoWaves [ "wavesInOrder: rollout stable@aa: wave 1 acked a dispatch at 1778894830100 ms before wave 0 converged (1778894830250)" ])
    (invCase "converged without acks" [ "wavesInOrder" ] [
      (event 2 "web-01" "Converged" "stable@aa" "2026-05-16T01:27:10Z" { })
    ] twoWaves [ "wavesInOrder: rollout stable@aa: hosts converged but no DispatchAck was found in the event log, cannot check wave order" ])
    (invCase "no manifest" [ "wavesInOrder" ] inOrder [ ] [ "no signed rollout manifest to check invariants against" ])
    (invCase "reverted, later wave untouched" [ "noQuarantinedDispatch" ] [
      (event 1 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:00Z" { })
      (event 2 "web-01" "RollbackComplete" "stable@aa" "2026-05-16T01:27:10Z" { })
    ] twoWaves [ ])
    (invCase "reverted, later wave dispatched" [ "noQuarantinedDispatch" "wavesInOrder" ] [
      (event 1 "web-01" "DispatchAck" "stable@aa" "2026-05-16T01:27:00Z" { })
      (event 2 "web-01" "RollbackComplete" "stable@aa" "2026-05-16T01:27:10Z" { })
      (event 3 "web-02" "DispatchAck" "stable@aa" "2026-05-16T01:27:11Z" { })
    ] twoWaves [
      "noQuarantinedDispatch: rollout stable@aa reverted in wave 0 but dispatched later-wave hosts: web-02"
      "wavesInOrder: rollout stable@aa: wave 1 acked a dispatch at 1778894831000 ms before wave 0 converged (never)"
    ])
  ];

  all = h.plan (import ./fixtures/all-kinds.nix);
  unplayable = map (s: {
    name = "${s.name} does not translate";
    expr = "(import ./nix/harness/plan.nix).plan (import ${toString s.file})";
    message = "not supported by the microVM runner";
  }) (filter (s: !(builtins.tryEval (builtins.deepSeq (h.plan (import s.file)).testScript true)).success) scenarioFiles);
  # Kinds the contract declares that this runner does not translate: each
  # must fail with the documented message.
  m = import ../../../lib/schema/module.nix { };
  optionsOf = type: (m.evalModule type.module "<root>" { }).options;
  top = optionsOf ((import ../../../lib/schema).loadContract ../../../contracts/harness-scenario.nix);
  stepOpts = optionsOf top.steps.type.elemType;
  missing = declared: translated: filter (k: !(builtins.elem k translated)) declared;
  untranslated =
    map (k: {
      name = "untranslated wait kind ${k}";
      expr = ''(import ./nix/harness/conditions.nix).check { scenario = "s"; where = "step 1"; hosts = [ "web-01" ]; released = [ ]; } { kind = ${builtins.toJSON k}; }'';
      message = ''harness s, step 1: not supported by the microVM runner: wait kind ${builtins.toJSON k}'';
    }) (missing (optionsOf stepOpts.wait.type.elemType).kind.type.values conditions.kinds)
    ++ map (k: {
      name = "untranslated fault kind ${k}";
      expr = ''(import ./nix/harness/faults.nix).inject { scenario = "s"; where = "step 1"; hosts = [ "web-01" ]; } { kind = ${builtins.toJSON k}; hosts = [ "web-01" ]; seconds = 1; }'';
      message = ''harness s, step 1: not supported by the microVM runner: fault kind ${builtins.toJSON k}'';
    }) (missing (optionsOf stepOpts.fault.type.elemType).kind.type.values faults.kinds)
    ++ map (k: {
      name = "untranslated invariant ${k}";
      expr = ''(import ./nix/harness/invariants.nix).program { scenario = "s"; } [ ${builtins.toJSON k} ]'';
      message = ''harness s, invariants: not supported by the microVM runner: invariant ${builtins.toJSON k}'';
    }) (missing top.invariants.type.elemType.values invariants.kinds);
  # Expressions that must fail, with a fragment their message must contain.
  errors = unplayable ++ untranslated ++ [
    {
      name = "unknown fault kind";
      expr = ''(import ./nix/harness/faults.nix).inject { scenario = "s"; where = "step 4"; hosts = [ ]; } { kind = "frobnicate"; }'';
      message = ''harness s, step 4: not supported by the microVM runner: fault kind "frobnicate"'';
    }
    {
      name = "unknown condition kind";
      expr = ''(import ./nix/harness/conditions.nix).check { scenario = "s"; where = "step 2"; hosts = [ ]; released = [ ]; } { kind = "frobnicate"; }'';
      message = ''harness s, step 2: not supported by the microVM runner: wait kind "frobnicate"'';
    }
    {
      name = "unknown step field";
      expr = ''(import ./nix/harness/timeline.nix).steps { hosts = [ "web-01" ]; scenario = { name = "s"; generations = { }; invariants = [ ]; steps = [ { release = null; wait = null; fault = null; sleepSecs = 1; timeoutSecs = 60; } { release = null; wait = null; fault = null; sleepSecs = null; timeoutSecs = 60; reboot = [ "web-01" ]; } ]; }; }'';
      message = "harness s, step 1: not supported by the microVM runner: step field reboot";
    }
    {
      name = "unchecked invariant";
      expr = ''(import ./nix/harness/invariants.nix).program { scenario = "s"; } [ "frobnicate" ]'';
      message = ''harness s, invariants: not supported by the microVM runner: invariant "frobnicate"'';
    }
    {
      name = "a field the condition does not read";
      expr = ''(import ./nix/harness/plan.nix).plan ((import ./tests/lib/harness/fixtures/smoke.nix) // { steps = [ { wait = { kind = "hostQuarantined"; channel = "stable"; generation = "g1"; hosts = [ "web-01" ]; }; release = "g1"; } ]; })'';
      message = "harness smoke, step 0: wait hostQuarantined: does not read `hosts` (it reads channel, generation)";
    }
    {
      name = "a field the fault does not read";
      expr = ''(import ./nix/harness/plan.nix).plan ((import ./tests/lib/harness/fixtures/smoke.nix) // { steps = [ { fault = { kind = "tamperArtifact"; artifact = "revocations"; hosts = [ "web-01" ]; }; } ]; })'';
      message = "harness smoke, step 0: fault tamperArtifact: does not read `hosts` (it reads artifact)";
    }
    {
      name = "unreleased generation";
      expr = ''(import ./nix/harness/plan.nix).plan ((import ./tests/lib/harness/fixtures/smoke.nix) // { steps = [ { wait = { kind = "hostCurrent"; generation = "g1"; }; } ]; })'';
      message = "harness smoke, step 0: wait hostCurrent: generation g1 is not released before this step";
    }
    {
      name = "off-contract kind";
      expr = ''(import ./nix/harness/plan.nix).plan ((import ./tests/lib/harness/fixtures/smoke.nix) // { steps = [ { fault.kind = "frobnicate"; } ]; })'';
      message = "steps";
    }
  ];
in
{
  # Scenarios that translate, and those that do not (each must fail with
  # the documented message, checked by checks.sh).
  scripts = filter (s: s.script != null) (
    map (s: {
      inherit (s) name;
      script =
        let
          r = builtins.tryEval (builtins.deepSeq (h.plan (import s.file)).testScript (h.plan (import s.file)).testScript);
        in
        if r.success then r.value else null;
    }) scenarioFiles
  );
  golden = {
    smoke = (h.plan (import ./fixtures/smoke.nix)).testScript;
    all-kinds = all.testScript;
  };
  helpers = h.helpers;
  cliCommands = all.cliCommands;
  # Every shell command of the all-kinds script (cp or host), for `bash -n`.
  commands =
    map (cs: cs.command) (
      builtins.concatLists (
        map (
          f:
          (faults.inject {
            scenario = "all";
            where = "step";
            hosts = all.hosts;
          } f).commands
        ) (filter (f: f != null) (map (s: s.fault or null) (import ./fixtures/all-kinds.nix).steps))
      )
    )
    ++ map (x: x.check.command) jqCases
    ++ [ (invariants.command { scenario = "all"; } [ "wavesInOrder" "noQuarantinedDispatch" ]) ];
  flipByte = faults.flipByte "@FILE@";
  scan = (import ../../../nix/harness/scripts-audit.nix).scan;
  recovery = (import ../../../nix/harness/scripts-audit.nix).recovery;
  invariantCommand = invariants.command { scenario = "all"; } [ "wavesInOrder" "noQuarantinedDispatch" ];
  pkiScript = h.pkiScript [ "web-01" "db-01" ];
  inherit jqCases invCases errors;
  trust = h.trust;
}
