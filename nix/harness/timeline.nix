# A harness scenario's timeline as NixOS-test Python (the microVM runner):
# releases (`nixfleet-harness-release` on the cp node, the CI role), faults
# (nix/harness/faults.nix), sleeps, waits polled with `wait_until_succeeds`
# (nix/harness/conditions.nix), then the invariants
# (nix/harness/invariants.nix). Order within a step is the local runner's:
# release, fault, sleep, wait. Anything this runner cannot play — a step
# field, condition, fault or invariant it does not know, e.g. one added to
# the contract later — throws "not supported by the microVM runner: <what>"
# naming the scenario and the step index. Builtins only.
let
  inherit (builtins)
    attrNames
    concatLists
    concatStringsSep
    elem
    filter
    foldl'
    genList
    length
    elemAt
    match
    toJSON
    ;
  c = import ./common.nix;
  conditions = import ./conditions.nix;
  faults = import ./faults.nix;
  invariants = import ./invariants.nix;
  budgets = import ./budgets.nix;
  scriptsAudit = import ./scripts-audit.nix;
  setupOf = import ./setup.nix;
  inherit (c) py nodeVar;

  stepFields = [
    "release"
    "wait"
    "timeoutSecs"
    "fault"
    "sleepSecs"
    "signedAgoSecs"
  ];

  indent = s: "    " + s;
  subtest = label: body: [ "with subtest(${py label}):" ] ++ map indent body;
  on = node: command: "${nodeVar node}.succeed(${py command})";
  describe = attrs: toJSON (removeNulls attrs);
  # Host outputs the test driver copies to files on the cp node.
  gatherPy = g: "[${concatStringsSep ", " (map (x: "(${nodeVar x.node}, ${py x.command}, ${py x.file})") g)}]";

  # One action as NixOS-test Python.
  python =
    a:
    if a.type == "release" || a.type == "invariants" || a.type == "setup" then
      subtest a.label ((if (a.gather or [ ]) == [ ] then [ ] else [ "harness_gather(${gatherPy a.gather})" ]) ++ [ (on "cp" a.command) ])
    else if a.type == "wait" then
      [ "harness_wait(${py a.label}, ${py a.command}, ${toString a.timeout}${if a.gather == [ ] then "" else ", ${gatherPy a.gather}"})" ]
    else if a.type == "hostWait" then
      subtest a.label [ "${nodeVar a.node}.wait_until_succeeds(${py a.command}, timeout=${toString a.timeout})" ]
    else if a.type == "enroll" then
      # The token travels from the cp node to the host through the driver.
      subtest a.label [
        "token = cp.succeed(${py "${a.mint} | base64 -w0"}).strip()"
        "${nodeVar a.host}.succeed(\"printf %s \" + token + ${py " | base64 -d | ${a.install}"})"
        (on a.host a.start)
      ]
    else if a.type == "secret" then
      # The plaintext stays with the driver, outside every VM.
      subtest a.label [
        "harness_secrets.append(${py "${a.host} ${a.name} "} + cp.succeed(${py a.command}).strip())"
        (on a.host a.install)
      ]
    else if a.type == "scan" then
      subtest a.label [
        "lines = base64.b64encode(\"\".join(s + \"\\n\" for s in harness_secrets).encode()).decode()"
        "for m, command in [${concatStringsSep ", " (map (x: "(${nodeVar x.node}, ${py x.command})") a.checks)}]:"
        "    m.succeed(\"printf %s \" + lines + \" | base64 -d | \" + command)"
      ]
    else if a.type == "fault" then
      subtest a.label (
        map (x: on x.node x.command) a.commands
        ++ (
          if a.cpRestarted then
            [
              ''cp.wait_for_unit("nixfleet-control-plane.service")''
              "cp.wait_for_open_port(${toString c.cpPort})"
            ]
          else
            [ ]
        )
      )
    else
      [ "cp.sleep(${toString a.secs})" ];
  removeNulls = a: builtins.removeAttrs a (filter (n: a.${n} == null || a.${n} == [ ] || a.${n} == false) (attrNames a));
in
{
  inherit stepFields;

  /**
    The actions playing `scenario.steps` (a contract-checked scenario, with
    defaults) and the invariants, as data (release, wait, fault, sleep,
    invariants: shell commands with their node) and as NixOS-test Python
    lines, plus the generations released in order. `hosts` = every host of
    the fleet.

    Type: steps :: { scenario, hosts } -> { actions :: [ attrset ], lines :: [ string ], releases :: [ string ] }
  */
  steps =
    { scenario, hosts }:
    let
      name = scenario.name;
      gens = attrNames scenario.generations;
      unsignedOf =
        gen:
        let
          g = scenario.generations.${gen};
        in
        filter (h: !((g.hosts.${h} or g.default).signed or true)) hosts;

      playStep =
        acc: i:
        let
          step = elemAt scenario.steps i;
          where = "step ${toString i}";
          # An empty list is the contract's default for a field the step does not use.
          extra = filter (k: !(elem k stepFields) && step.${k} != null && step.${k} != [ ]) (attrNames step);
          release = step.release or null;
          released = acc.released ++ (if release == null then [ ] else [ release ]);
          ctx = {
            scenario = name;
            inherit where hosts released;
          };

          signedAgo = step.signedAgoSecs or null;
          releaseActions =
            if release == null then
              (if signedAgo != null then throw "harness ${name}, ${where}: signedAgoSecs needs `release`" else [ ])
            else if !(elem release gens) then
              throw "harness ${name}, ${where}: release ${release}: unknown generation; known: ${concatStringsSep ", " gens}"
            else if match "[A-Za-z0-9_-]+" release == null then
              c.unsupported name where "generation name ${toJSON release} (letters, digits, - and _ only)"
            else
              [
                {
                  type = "release";
                  label = "${where}: release ${release}";
                  command = concatStringsSep " " (
                    # CI signs as of that many seconds ago (release --now).
                    (if signedAgo == null then [ ] else [ "NIXFLEET_HARNESS_SIGNED_AGO=${toString signedAgo}" ])
                    ++ [
                      "nixfleet-harness-release"
                      name
                      release
                      (toString (length acc.releases))
                    ]
                    ++ unsignedOf release
                  );
                }
              ];

          waitActions =
            label: cond: timeout:
            let
              chk = conditions.check ctx cond;
            in
            [
              {
                type = "wait";
                inherit label timeout;
                inherit (chk) command gather;
              }
            ];

          faultActions =
            if (step.fault or null) == null then
              [ ]
            else
              let
                f = faults.inject ctx step.fault;
                pre =
                  if f.waitFor == [ ] then
                    [ ]
                  else
                    waitActions "${where}: ${f.kind} waits for Activating on ${concatStringsSep ", " f.waitFor}" {
                      kind = "hostState";
                      hosts = f.waitFor;
                      state = "Activating";
                    } 120;
              in
              # Activating (the CP's view, from DispatchAck on) first, then
              # the switch itself on the host, right before the fault.
              pre
              ++ map (w: {
                type = "hostWait";
                label = "${where}: ${f.kind} waits for a switch in flight on ${w.node}";
                inherit (w) node command;
                timeout = 120;
              }) f.hostWaits
              ++ [
                {
                  type = "fault";
                  label = "${where}: fault ${describe step.fault}";
                  inherit (f) commands cpRestarted;
                }
              ];

          sleepActions =
            if (step.sleepSecs or null) == null then
              [ ]
            else
              [
                {
                  type = "sleep";
                  secs = step.sleepSecs;
                }
              ];

          waitStep =
            if (step.wait or null) == null then
              [ ]
            else
              waitActions "${where}: wait ${describe step.wait}" step.wait (step.timeoutSecs or 60);
        in
        if extra != [ ] then
          c.unsupported name where "step field ${concatStringsSep ", " extra}"
        else
          {
            inherit released;
            releases = acc.releases ++ (if release == null then [ ] else [ release ]);
            actions = acc.actions ++ releaseActions ++ faultActions ++ sleepActions ++ waitStep;
          };

      played = foldl' playStep {
        released = [ ];
        releases = [ ];
        actions = [ ];
      } (genList (i: i) (length scenario.steps));

      invariantCommand = invariants.command {
        scenario = name;
        budgets = if builtins.elem "budgetsRespected" scenario.invariants then budgets.resolve scenario.fleet else [ ];
      } scenario.invariants;

      has = i: elem i scenario.invariants;
      setupPlan = setupOf { inherit scenario hosts; };
      lastRelease =
        if played.releases == [ ] then
          throw "harness ${name}, invariants: signedRoundtrip needs a release"
        else
          elemAt played.releases (length played.releases - 1);
      evidenceTar = h: "${c.paths.gathered}/${h}.evidence.tar";

      actions =
        played.actions
        ++ (
          if invariantCommand == null then
            [ ]
          else
            [
              {
                type = "invariants";
                label = "invariants";
                command = invariantCommand;
              }
            ]
        )
        ++ (
          if has "signedRoundtrip" then
            [
              {
                type = "invariants";
                label = "invariant signedRoundtrip";
                # Each host's manifest cache and evidence, as the host keeps them.
                gather = map (h: {
                  node = h;
                  command = scriptsAudit.hostEvidence;
                  file = evidenceTar h;
                }) hosts;
                command = concatStringsSep " && " (
                  map (h: "rm -rf ${c.paths.gathered}/${h} && mkdir -p ${c.paths.gathered}/${h} && tar -xf ${evidenceTar h} -C ${c.paths.gathered}/${h}") hosts
                  ++ [ "nixfleet-harness-roundtrip ${lastRelease}" ]
                );
              }
            ]
          else
            [ ]
        )
        ++ (
          if has "secretsConfined" then
            [
              {
                type = "scan";
                label = "invariant secretsConfined";
                checks = [
                  {
                    node = "cp";
                    # The CP's state (database, WAL, issuance log), the CI
                    # role's work (release directory, binary cache, runner
                    # file), every released closure in the store, the journal.
                    command = "nixfleet-harness-scan ${dirOf c.paths.cpDb} ${c.paths.work} $(jq -r '.closures[]' ${c.paths.released}/*.json | sed 's|^|/nix/store/|' | xargs -r nix-store -qR)";
                  }
                ]
                ++ map (h: {
                  node = h;
                  # The agent's state: its sandbox store and root, records, evidence.
                  command = "nixfleet-harness-scan --host ${h} ${c.paths.agentState}";
                }) hosts;
              }
            ]
          else
            [ ]
        );

      inherit (setupPlan) enrolling;
      setup = setupPlan.actions;
    in
    {
      inherit (played) releases;
      inherit actions setup enrolling;
      lines = concatLists (map python actions);
      setupLines = concatLists (map python setup);
    };

  # Exposed for the tests: the kinds each part plays.
  conditionKinds = conditions.kinds;
  faultKinds = faults.kinds;
  invariantKinds = invariants.kinds;
  concat = concatLists;
}
