# Every harness scenario validates against contracts/harness-scenario.nix, and
# every generation of every scenario evaluates to a valid fleet whose closures
# carry a health-checks.json in the contract's shape.
let
  schema = import ../../../lib/schema;
  scenarioType = schema.loadContract ../../../contracts/harness-scenario.nix;
  healthType = schema.loadContract ../../../contracts/health-checks.nix;
  resolvedType = schema.loadContract ../../../contracts/fleet-resolved.nix;
  fleetLib = import ../../../lib;
  dir = ../../harness/scenarios;
  files = builtins.filter (f: builtins.match ".*\\.nix" f != null) (builtins.attrNames (builtins.readDir dir));
  one =
    f:
    let
      path = toString (dir + "/${f}");
      raw = import (dir + "/${f}");
      errs = schema.validate scenarioType raw;
      scenario = schema.applyDefaults scenarioType raw;
      gens = if errs == [ ] then builtins.attrNames scenario.generations else [ ];
      # A generation every release step of which must be refused may fail to
      # evaluate (the compliance gate throws in mkFleet): the scenario checks
      # that refusal itself. One that evaluates is checked like the others.
      refusedOnly =
        g:
        let
          releases = builtins.filter (s: s.release == g) scenario.steps;
        in
        releases != [ ] && builtins.all (s: s.expectRefused != null) releases;
      evaluates =
        g:
        (builtins.tryEval (
          builtins.deepSeq ((import ../../harness/nix/generation.nix { scenarioFile = path; generation = g; }) fleetLib).resolved true
        )).success;
      genErrors = builtins.concatMap (
        g:
        let
          fleet = (import ../../harness/nix/generation.nix { scenarioFile = path; generation = g; }) fleetLib;
          hostErrs = builtins.concatMap (h: schema.validate healthType fleet.healthChecks.${h}) (builtins.attrNames fleet.healthChecks);
          tops = builtins.attrValues (builtins.mapAttrs (_: c: c.config.system.build.toplevel.name) fleet.nixosConfigurations);
        in
        map (e: "${g}: ${e}") (schema.validate resolvedType fleet.resolved ++ hostErrs)
        ++ (if builtins.length tops == builtins.length (builtins.attrNames fleet.resolved.hosts) then [ ] else [ "${g}: missing toplevels" ])
      ) (builtins.filter (g: !(refusedOnly g) || evaluates g) gens);
      stepErrors = builtins.concatMap (
        s: if s.release != null && !(scenario.generations ? ${s.release}) then [ "step releases unknown generation ${s.release}" ] else [ ]
      ) (if errs == [ ] then scenario.steps else [ ]);
      nameErr = if errs == [ ] && "${scenario.name}.nix" != f then [ "name ${scenario.name} does not match file ${f}" ] else [ ];
      all = errs ++ genErrors ++ stepErrors ++ nameErr;
    in
    {
      name = f;
      value = {
        ok = all == [ ];
        detail = builtins.concatStringsSep "; " all;
      };
    };
in
builtins.listToAttrs (map one files)
