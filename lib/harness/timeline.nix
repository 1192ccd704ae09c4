# A harness scenario's timeline as NixOS-test Python (the microVM runner):
# releases (`nixfleet-harness-release` on the cp node, the CI role), faults
# (lib/harness/faults.nix), sleeps, waits polled with `wait_until_succeeds`
# (lib/harness/conditions.nix), then the invariants
# (lib/harness/invariants.nix). Order within a step is the local runner's:
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

  # One action as NixOS-test Python.
  python =
    a:
    if a.type == "release" || a.type == "invariants" then
      subtest a.label [ (on "cp" a.command) ]
    else if a.type == "wait" then
      [ "harness_wait(${py a.label}, ${py a.command}, ${toString a.timeout})" ]
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
          extra = filter (k: !(elem k stepFields) && step.${k} != null) (attrNames step);
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
                inherit (chk) command;
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
              pre
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
        );
    in
    {
      inherit (played) releases;
      inherit actions;
      lines = concatLists (map python actions);
    };

  # Exposed for the tests: the kinds each part plays.
  conditionKinds = conditions.kinds;
  faultKinds = faults.kinds;
  invariantKinds = invariants.kinds;
  concat = concatLists;
}
