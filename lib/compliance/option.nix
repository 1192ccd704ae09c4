# Reading NixOS option values for the static side of compliance controls
# (book §1.6: `evaluate :: config -> { passed, evidence }`). A real host
# configuration (nixpkgs) and a stand-in with the same option paths read
# alike. An option absent from the configuration reads as null: a control
# never passes on a value it could not see.
#
# Builtins only.
let
  inherit (builtins)
    all
    attrNames
    concatStringsSep
    foldl'
    isAttrs
    isBool
    isInt
    isString
    listToAttrs
    map
    match
    ;

  /**
    The value at `path` (a list of segments) in `config`, or null when any
    segment is missing.

    Type: get :: attrset -> [ string ] -> any

    Example: get { a.b = 1; } [ "a" "b" ] => 1
  */
  get = config: path: foldl' (acc: s: if isAttrs acc && acc ? ${s} then acc.${s} else null) config path;

  /**
    A path as an operator writes it: segments that are not plain identifiers
    are quoted (`boot.kernel.sysctl."kernel.kptr_restrict"`).

    Type: show :: [ string ] -> string
  */
  show = path: concatStringsSep "." (map (s: if match "[A-Za-z_][A-Za-z0-9_'-]*" s != null then s else "\"${s}\"") path);

  /**
    A value as evidence: scalars and lists of scalars as they are, anything
    else (derivations, functions, attrsets) as a type name. Evidence lands in
    a signed artifact, so it never carries secrets: callers pass `"set"` for
    values that must not be copied.

    Type: evidenceValue :: any -> any
  */
  evidenceValue =
    v:
    if v == null || isBool v || isInt v || isString v then
      v
    else if builtins.isList v && all (x: x == null || isBool x || isInt x || isString x) v then
      v
    else
      "<${builtins.typeOf v}>";

  /**
    Evidence for a set of paths: `{ "<shown path>" = value; }`.

    Type: evidenceOf :: attrset -> [ [ string ] ] -> attrset
  */
  evidenceOf =
    config: paths:
    listToAttrs (
      map (p: {
        name = show p;
        value = evidenceValue (get config p);
      }) paths
    );

  /**
    A sysctl value as the kernel prints it: integers and strings as text,
    booleans as 1/0 (NixOS accepts all three in boot.kernel.sysctl).

    Type: sysctlText :: any -> string | null
  */
  sysctlText =
    v:
    if v == null then
      null
    else if isBool v then
      (if v then "1" else "0")
    else
      toString v;

  /**
    A static result over sysctls: every `name` of `wanted` (name -> allowed
    texts) must be set in boot.kernel.sysctl to one of its values.

    Type: sysctls :: attrset -> { <name> :: [ string ] } -> { passed, evidence }
  */
  sysctls =
    config: wanted:
    let
      table = get config [
        "boot"
        "kernel"
        "sysctl"
      ];
      seen = n: sysctlText (if isAttrs table && table ? ${n} then table.${n} else null);
      names = attrNames wanted;
    in
    {
      passed = all (n: builtins.elem (seen n) wanted.${n}) names;
      evidence = listToAttrs (
        map (n: {
          name = show [
            "boot"
            "kernel"
            "sysctl"
            n
          ];
          value = seen n;
        }) names
      );
    };
in
{
  inherit
    get
    show
    evidenceValue
    evidenceOf
    sysctlText
    sysctls
    ;
}
