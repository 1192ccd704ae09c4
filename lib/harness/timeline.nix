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
  inherit (c) py nodeVar;

  stepFields = [
    "release"
    "wait"
    "timeoutSecs"
    "fault"
    "sleepSecs"
  ];

  indent = s: "    " + s;
  subtest = label: body: [ "with subtest(${py label}):" ] ++ map indent body;
  on = node: command: "${nodeVar node}.succeed(${py command})";
  describe = attrs: toJSON (removeNulls attrs);
  removeNulls = a: builtins.removeAttrs a (filter (n: a.${n} == null || a.${n} == [ ] || a.${n} == false) (attrNames a));
in
{
  inherit stepFields;

  /**
    Python lines playing `scenario.steps` (a contract-checked scenario, with
    defaults), plus the generations released in order. `hosts` = every host
    of the fleet.

    Type: steps :: { scenario, hosts } -> { lines :: [ string ], releases :: [ string ] }
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

          releaseLines =
            if release == null then
              [ ]
            else if !(elem release gens) then
              throw "harness ${name}, ${where}: release ${release}: unknown generation; known: ${concatStringsSep ", " gens}"
            else if match "[A-Za-z0-9_-]+" release == null then
              c.unsupported name where "generation name ${toJSON release} (letters, digits, - and _ only)"
            else
              subtest "${where}: release ${release}" [
                (on "cp" (concatStringsSep " " ([ "nixfleet-harness-release" name release (toString (length acc.releases)) ] ++ unsignedOf release)))
              ];

          waitLines =
            label: cond: timeout:
            let
              chk = conditions.check ctx cond;
            in
            [ "harness_wait(${py label}, ${py chk.command}, ${toString timeout})" ];

          faultLines =
            if (step.fault or null) == null then
              [ ]
            else
              let
                f = faults.inject ctx step.fault;
                pre =
                  if f.waitFor == [ ] then
                    [ ]
                  else
                    waitLines "${where}: ${f.kind} waits for Activating on ${concatStringsSep ", " f.waitFor}" {
                      kind = "hostState";
                      hosts = f.waitFor;
                      state = "Activating";
                    } 120;
              in
              pre
              ++ subtest "${where}: fault ${describe step.fault}" (
                map (x: on x.node x.command) f.commands
                ++ (
                  if f.cpRestarted then
                    [
                      ''cp.wait_for_unit("nixfleet-control-plane.service")''
                      "cp.wait_for_open_port(${toString c.cpPort})"
                    ]
                  else
                    [ ]
                )
              );

          sleepLines = if (step.sleepSecs or null) == null then [ ] else [ "cp.sleep(${toString step.sleepSecs})" ];

          waitStep =
            if (step.wait or null) == null then
              [ ]
            else
              waitLines "${where}: wait ${describe step.wait}" step.wait (step.timeoutSecs or 60);
        in
        if extra != [ ] then
          c.unsupported name where "step field ${concatStringsSep ", " extra}"
        else
          {
            inherit released;
            releases = acc.releases ++ (if release == null then [ ] else [ release ]);
            lines = acc.lines ++ releaseLines ++ faultLines ++ sleepLines ++ waitStep;
          };

      played = foldl' playStep {
        released = [ ];
        releases = [ ];
        lines = [ ];
      } (genList (i: i) (length scenario.steps));

      invariantCommand = invariants.command {
        scenario = name;
      } scenario.invariants;
    in
    {
      inherit (played) releases;
      lines =
        played.lines
        ++ (if invariantCommand == null then [ ] else subtest "invariants" [ (on "cp" invariantCommand) ]);
    };

  # Exposed for the tests: the kinds each part plays.
  conditionKinds = conditions.kinds;
  faultKinds = faults.kinds;
  invariantKinds = invariants.kinds;
  concat = concatLists;
}
