# A stand-in for nixpkgs' `lib` and module plumbing, just enough to call the
# framework's NixOS modules without nixpkgs: option declarations come from
# lib/schema (the same subset the contracts use, plus `types.package`), and
# mkIf / mkMerge / mkDefault / mkForce become markers that `resolve`
# flattens. This checks a module's wiring (which renderer output lands in
# which option), not the NixOS module system; that part is evaluated only
# where nixpkgs is available (nix/flake/checks.nix).
let
  inherit (builtins)
    attrNames
    concatMap
    foldl'
    isAttrs
    isList
    mapAttrs
    ;
  schema = import ../../../lib/schema;
  base = schema.lib;

  mark = kind: fields: { _stub = kind; } // fields;
  is = kind: v: isAttrs v && (v._stub or null) == kind;

  lib = base // {
    types = base.types // {
      package = base.types.anything // {
        name = "package";
        description = "package";
      };
    };
    mkIf = condition: content: mark "if" { inherit condition content; };
    mkMerge = contents: mark "merge" { inherit contents; };
    mkDefault = value: mark "default" { inherit value; };
    mkForce = value: mark "force" { inherit value; };
    literalMD = text: {
      _type = "literalMD";
      inherit text;
    };
    optional = c: v: if c then [ v ] else [ ];
    optionalAttrs = c: v: if c then v else { };
    escapeShellArg = v: "'${v}'";
    mkAfter = v: v;
    getExe' = pkg: name: "${pkg}/bin/${name}";
    inherit mapAttrs;
  };

  # Definitions of a module's `config`, mkIf/mkMerge resolved, priorities
  # dropped: a list of plain attrsets (later entries refine earlier ones).
  resolve =
    v:
    if is "if" v then
      (if v.condition then resolve v.content else [ ])
    else if is "merge" v then
      concatMap resolve v.contents
    else if is "default" v || is "force" v then
      resolve v.value
    else if isAttrs v && !(v ? _stub) then
      [ (mapAttrs (_: strip) v) ]
    else
      [ v ];

  # Inner markers: conditions resolved to the value or to null.
  strip =
    v:
    if is "if" v then
      (if v.condition then strip v.content else null)
    else if is "default" v || is "force" v then
      strip v.value
    else if is "merge" v then
      foldl' merge { } (map strip v.contents)
    else if isAttrs v && !(v ? _type) then
      mapAttrs (_: strip) v
    else
      v;

  merge =
    a: b:
    if isAttrs a && isAttrs b then
      foldl' (acc: k: acc // { ${k} = if acc ? ${k} then merge acc.${k} b.${k} else b.${k}; }) a (attrNames b)
    else if isList a && isList b then
      a ++ b
    else
      b;
in
{
  inherit lib resolve strip;

  /**
    Calls a module file with the stub lib and a given `config`, and returns
    its options and its merged config definitions.

    Type: call :: path -> { config, pkgs ? } -> { options, config, imports }
  */
  call =
    file: args:
    let
      m = import file (
        {
          inherit lib;
          pkgs = { };
          modulesPath = "/modules";
        }
        // args
      );
    in
    {
      options = m.options or { };
      imports = m.imports or [ ];
      config = foldl' merge { } (resolve (m.config or { }));
    };
}
