# The compliance control catalogue (book §1.6, RFC-0007 §3.6–§7): typed
# controls, each with the frameworks and articles it implements, a static
# `evaluate :: config -> { passed, evidence }` that the release runs over the
# host's NixOS configuration, and a runtime `probe` descriptor the collector
# runs on the host.
#
# Owns: loading the catalogue, checking every entry against
# contracts/compliance-control.nix (and that ids are unique, frameworks are
# known, every framework has a control), running one control safely.
# Never: modes, scopes or refusals (./gate.nix), running probes.
#
#   nix-instantiate --eval --strict --json lib/compliance -A declarations
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    filter
    groupBy
    isAttrs
    isBool
    length
    listToAttrs
    map
    mapAttrs
    removeAttrs
    tryEval
    ;

  schema = import ../schema;
  contract = schema.loadContract ../../contracts/compliance-control.nix;
  frameworks = import ../compliance-frameworks.nix;

  entries =
    import ./catalogue/access.nix ++ import ./catalogue/kernel.nix ++ import ./catalogue/system.nix;

  declarationOf = c: removeAttrs c [ "evaluate" ];

  problems =
    concatMap (
      c:
      let
        subject = "lib/compliance: control ${c.id or "<no id>"}";
      in
      map (e: "${subject}: ${e}") (schema.validate contract (declarationOf c))
      ++ (if builtins.isFunction (c.evaluate or null) then [ ] else [ "${subject}: evaluate is not a function" ])
      ++ map (f: "${subject}: unknown framework \"${f}\"") (filter (f: !(frameworks ? ${f})) (attrNames (c.frameworks or { })))
      ++ (if (c.probe.expect or { }) == { } then [ "${subject}: probe.expect is empty (nothing would be checked)" ] else [ ])
    ) entries
    ++ map (id: "lib/compliance: control id \"${id}\" is declared more than once") (
      filter (id: length byId.${id} > 1) (attrNames byId)
    )
    ++ map (f: "lib/compliance: framework \"${f}\" has no control (lib/compliance-frameworks.nix lists it)") (
      filter (f: controlsOf f == [ ]) (attrNames frameworks)
    );

  byId = groupBy (c: c.id) entries;

  checked =
    if problems == [ ] then
      true
    else
      throw "${toString (length problems)} catalogue error(s):\n  ${concatStringsSep "\n  " problems}";

  /**
    Every control, by id (declaration fields plus `evaluate`).

    Type: controls :: { <id> :: control }
  */
  controls = builtins.seq checked (mapAttrs (_: cs: builtins.head cs) byId);

  /**
    Ids of the controls that belong to `framework`, sorted.

    Type: controlsOf :: string -> [ string ]
  */
  controlsOf = f: builtins.sort builtins.lessThan (map (c: c.id) (filter (c: (c.frameworks or { }) ? ${f}) entries));

  /**
    Runs one control's static evaluation on a configuration's `config`. An
    evaluation that throws, or returns something else than
    `{ passed :: bool, evidence :: attrset }`, is a failing control whose
    evidence says so: the gate never passes what it could not evaluate.

    Type: evaluate :: string -> attrset -> { passed :: bool, evidence :: attrset }
  */
  evaluate =
    id: config:
    let
      r = tryEval (
        let
          v = controls.${id}.evaluate config;
        in
        builtins.deepSeq v v
      );
      ok = r.success && isAttrs r.value && isBool (r.value.passed or null) && isAttrs (r.value.evidence or null);
    in
    if ok then
      {
        inherit (r.value) passed evidence;
      }
    else
      {
        passed = false;
        evidence.error = "the static evaluation of ${id} failed on this configuration (it threw, or did not return { passed, evidence })";
      };
in
{
  inherit controls controlsOf evaluate;

  /**
    The catalogue without its functions: contracts/compliance-control.nix
    documents, by id.

    Type: declarations :: { <id> :: attrset }
  */
  declarations = builtins.seq checked (mapAttrs (_: cs: declarationOf (builtins.head cs)) byId);

  frameworkNames = attrNames frameworks;

  /**
    Control ids per framework.

    Type: byFramework :: { <framework> :: [ string ] }
  */
  byFramework = listToAttrs (
    map (f: {
      name = f;
      value = controlsOf f;
    }) (attrNames frameworks)
  );
}
