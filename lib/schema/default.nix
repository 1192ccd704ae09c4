# The contract interpreter: reads declarations written against a subset of the
# NixOS module API (mkOption, mkEnableOption, types.*) and
#   - validates values, reporting every error at once with its option path;
#   - fills declared defaults;
#   - exports JSON Schema (draft 2020-12) with descriptions and defaults.
#
# The same contract file is an ordinary NixOS module under nixpkgs' `lib`.
# Builtins only — evaluable with `nix-instantiate` on a machine without nixpkgs.
#
# Usage:
#   let schema = import ./lib/schema; in
#   schema.validate (schema.loadContract ./contracts/fleet-resolved.nix) value
let
  inherit (builtins)
    all
    any
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elem
    elemAt
    filter
    foldl'
    genList
    isAttrs
    isBool
    isFloat
    isFunction
    isInt
    isList
    isString
    length
    listToAttrs
    mapAttrs
    match
    toJSON
    typeOf
    ;

  types = import ./types.nix;

  /**
    Declares an option. Same contract as nixpkgs' `lib.mkOption`: an option
    without `default` is required.

    Type: mkOption :: { type?, default?, description?, example?, defaultText? } -> option
  */
  mkOption = attrs: { type = types.anything; } // attrs // { _type = "option"; };

  /**
    A boolean option defaulting to false.

    Type: mkEnableOption :: string -> option
  */
  mkEnableOption =
    name:
    mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };

  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };

  # The `lib` handed to contract files.
  lib = {
    inherit
      mkOption
      mkEnableOption
      literalExpression
      types
      ;
  };

  isOption = x: isAttrs x && (x._type or null) == "option";
  isType = x: isAttrs x && (x._type or null) == "option-type";

  # ---------------------------------------------------------------- modules

  # A module (attrset or function) evaluated for one value: its option tree and
  # freeform element type (null when the module is closed).
  evalModule =
    module: name: value:
    let
      m =
        if isFunction module then
          module {
            inherit lib name;
            config = if isAttrs value then value else { };
            options = { };
            pkgs = null;
          }
        else
          module;
      ff = m.freeformType or null;
    in
    {
      options = m.options or { };
      freeform =
        if ff == null then
          null
        else if ff.kind == "attrsOf" then
          ff.elemType
        else
          types.anything;
    };

  # ---------------------------------------------------------------- paths

  formatPath =
    path:
    if path == [ ] then
      "(root)"
    else
      foldl' (
        acc: seg:
        if isInt seg then
          "${acc}[${toString seg}]"
        else if acc == "" then
          seg
        else
          "${acc}.${seg}"
      ) "" path;

  err = path: msg: "${formatPath path}: ${msg}";

  describeValue =
    v:
    if v == null then
      "null"
    else if isString v then
      "string ${toJSON v}"
    else if isBool v then
      "boolean ${toJSON v}"
    else if isInt v then
      "integer ${toString v}"
    else if isFloat v then
      "float ${toJSON v}"
    else if isList v then
      "a list"
    else if isAttrs v then
      "an attribute set"
    else
      typeOf v;

  mismatch = path: type: v: [ (err path "expected ${type.description}, got ${describeValue v}") ];

  # ---------------------------------------------------------------- validate

  # All errors of value `v` against `type` at `path`; `name` is the attribute
  # name when the value sits under attrsOf (submodules receive it).
  checkType =
    path: name: type: v:
    let
      k = type.kind;
    in
    if k == "anything" then
      [ ]
    else if k == "str" then
      (if isString v then [ ] else mismatch path type v)
    else if k == "bool" then
      (if isBool v then [ ] else mismatch path type v)
    else if k == "int" then
      (
        if !(isInt v) then
          mismatch path type v
        else if (type.min != null && v < type.min) || (type.max != null && v > type.max) then
          mismatch path type v
        else
          [ ]
      )
    else if k == "enum" then
      (if elem v type.values then [ ] else mismatch path type v)
    else if k == "strMatching" then
      (
        if !(isString v) then
          mismatch path type v
        else if match type.regex v == null then
          [ (err path "${toJSON v} does not match the pattern ${type.regex}") ]
        else
          [ ]
      )
    else if k == "listOf" then
      (
        if !(isList v) then
          mismatch path type v
        else
          concatLists (genList (i: checkType (path ++ [ i ]) name type.elemType (elemAt v i)) (length v))
      )
    else if k == "attrsOf" then
      (
        if !(isAttrs v) then
          mismatch path type v
        else
          concatMap (a: checkType (path ++ [ a ]) a type.elemType v.${a}) (attrNames v)
      )
    else if k == "nullOr" then
      (if v == null then [ ] else checkType path name type.elemType v)
    else if k == "oneOf" then
      checkOneOf path name type v
    else if k == "submodule" then
      (
        if !(isAttrs v) then
          mismatch path type v
        else
          let
            m = evalModule type.module name v;
          in
          checkTree path m.options m.freeform v
      )
    else
      throw "lib/schema: unknown type kind ${k}";

  # A union: valid when any branch accepts the value. When it does not, report
  # the errors of the one branch the value was evidently meant for (the one its
  # `kind` discriminator names, or the only branch of its JSON type) so the
  # message points at the nested field, not at the whole union.
  checkOneOf =
    path: name: type: v:
    let
      results = map (b: checkType path name b v) type.branches;
      kindOf = b: kindValues b;
      allKinded = all (b: kindOf b != null) type.branches;
      discriminated = isAttrs v && v ? kind && allKinded;
      byKind = filter (b: elem v.kind (kindOf b)) type.branches;
      sameShape = filter (b: shapeOf b == shapeOfValue v) type.branches;
    in
    if any (r: r == [ ]) results then
      [ ]
    else if isAttrs v && !(v ? kind) && allKinded then
      # A discriminated union without its discriminator: say which field is
      # missing rather than "expected submodule or submodule …".
      [
        (err (path ++ [ "kind" ]) "required option is missing (one of ${
          concatStringsSep ", " (map toJSON (concatMap kindOf type.branches))
        })")
      ]
    else if discriminated then
      (
        if length byKind == 1 then
          checkType path name (elemAt byKind 0) v
        else
          [
            (err (path ++ [ "kind" ]) "expected one of ${
              concatStringsSep ", " (map toJSON (concatMap kindOf type.branches))
            }, got ${describeValue v.kind}")
          ]
      )
    else if length sameShape == 1 then
      checkType path name (elemAt sameShape 0) v
    else
      mismatch path type v;

  # The single-value enum of a submodule's `kind` option, or null.
  kindValues =
    t:
    if t.kind != "submodule" then
      null
    else
      let
        opts = (evalModule t.module "<kind>" { }).options;
      in
      if opts ? kind && isOption opts.kind && opts.kind.type.kind == "enum" then
        opts.kind.type.values
      else
        null;

  shapeOf =
    t:
    let
      k = t.kind;
    in
    if k == "submodule" || k == "attrsOf" then
      "object"
    else if k == "listOf" then
      "array"
    else if k == "str" || k == "strMatching" then
      "string"
    else if k == "int" then
      "integer"
    else if k == "bool" then
      "boolean"
    else
      "other";

  shapeOfValue =
    v:
    if isAttrs v then
      "object"
    else if isList v then
      "array"
    else if isString v then
      "string"
    else if isInt v then
      "integer"
    else if isBool v then
      "boolean"
    else
      "none";

  # An option tree (nested attrsets whose leaves are options) against `v`.
  checkTree =
    path: tree: freeform: v:
    if !(isAttrs v) then
      [ (err path "expected an attribute set, got ${describeValue v}") ]
    else
      let
        declared = concatMap (
          key:
          let
            node = tree.${key};
            p = path ++ [ key ];
          in
          if isOption node then
            (
              if v ? ${key} then
                checkType p key node.type v.${key}
              else if node ? default then
                [ ]
              else
                [ (err p "required option is missing") ]
            )
          else
            checkTree p node null (v.${key} or { })
        ) (attrNames tree);
        extra = filter (key: !(tree ? ${key})) (attrNames v);
        extraErrs =
          if freeform != null then
            concatMap (key: checkType (path ++ [ key ]) key freeform v.${key}) extra
          else
            map (
              key:
              err (path ++ [ key ]) "unknown option; known options here: ${concatStringsSep ", " (attrNames tree)}"
            ) extra;
      in
      declared ++ extraErrs;

  # ---------------------------------------------------------------- defaults

  fillType =
    name: type: v:
    let
      k = type.kind;
    in
    if k == "listOf" && isList v then
      map (fillType name type.elemType) v
    else if k == "attrsOf" && isAttrs v then
      mapAttrs (n: fillType n type.elemType) v
    else if k == "nullOr" then
      (if v == null then null else fillType name type.elemType v)
    else if k == "oneOf" then
      let
        ok = filter (b: checkType [ ] name b v == [ ]) type.branches;
      in
      if ok == [ ] then v else fillType name (elemAt ok 0) v
    else if k == "submodule" && isAttrs v then
      let
        m = evalModule type.module name v;
      in
      fillTree m.options m.freeform v
    else
      v;

  fillTree =
    tree: freeform: v:
    let
      declared = concatMap (
        key:
        let
          node = tree.${key};
        in
        if isOption node then
          (
            if v ? ${key} then
              [
                {
                  name = key;
                  value = fillType key node.type v.${key};
                }
              ]
            else if node ? default then
              [
                {
                  name = key;
                  value = fillType key node.type node.default;
                }
              ]
            else
              [ ]
          )
        else
          let
            sub = fillTree node null (v.${key} or { });
          in
          if v ? ${key} || sub != { } then
            [
              {
                name = key;
                value = sub;
              }
            ]
          else
            [ ]
      ) (attrNames tree);
      extra = filter (key: !(tree ? ${key})) (attrNames v);
      kept = map (key: {
        name = key;
        value = if freeform == null then v.${key} else fillType key freeform v.${key};
      }) extra;
    in
    if isAttrs v then listToAttrs (kept ++ declared) else v;

  # ---------------------------------------------------------------- JSON Schema

  ref = n: { "$ref" = "#/$defs/${n}"; };

  mergeDefs = rs: foldl' (acc: r: acc // r.defs) { } rs;

  # { schema; defs } for a type; `seen` cuts recursion through named types.
  schemaOf =
    seen: type:
    let
      k = type.kind;
      n = type.schemaName or null;
      leaf = s: {
        schema = s;
        defs = { };
      };
    in
    if n != null then
      (
        if elem n seen then
          leaf (ref n)
        else
          let
            r = schemaOf (seen ++ [ n ]) (type // { schemaName = null; });
          in
          {
            schema = ref n;
            defs = r.defs // {
              ${n} = { title = n; } // r.schema;
            };
          }
      )
    else if k == "anything" then
      leaf { }
    else if k == "str" then
      leaf { type = "string"; }
    else if k == "bool" then
      leaf { type = "boolean"; }
    else if k == "int" then
      leaf (
        { type = "integer"; }
        // (if type.min != null then { minimum = type.min; } else { })
        // (if type.max != null then { maximum = type.max; } else { })
      )
    else if k == "enum" then
      leaf { enum = type.values; }
    else if k == "strMatching" then
      leaf {
        type = "string";
        pattern = "^(${type.regex})$";
      }
    else if k == "listOf" || k == "attrsOf" || k == "nullOr" then
      let
        r = schemaOf seen type.elemType;
      in
      {
        defs = r.defs;
        schema =
          if k == "listOf" then
            {
              type = "array";
              items = r.schema;
            }
          else if k == "attrsOf" then
            {
              type = "object";
              additionalProperties = r.schema;
            }
          else
            {
              anyOf = [
                { type = "null"; }
                r.schema
              ];
            };
      }
    else if k == "oneOf" then
      let
        rs = map (schemaOf seen) type.branches;
      in
      {
        schema = {
          anyOf = map (r: r.schema) rs;
        };
        defs = mergeDefs rs;
      }
    else if k == "submodule" then
      let
        m = evalModule type.module "<name>" { };
      in
      treeSchema seen m.options m.freeform
    else
      throw "lib/schema: unknown type kind ${k}";

  treeRequired =
    node: if isOption node then !(node ? default) else any (key: treeRequired node.${key}) (attrNames node);

  treeSchema =
    seen: tree: freeform:
    let
      keys = attrNames tree;
      props = map (
        key:
        let
          node = tree.${key};
        in
        {
          inherit key;
          r = if isOption node then optionSchema seen node else treeSchema seen node null;
        }
      ) keys;
      ff = if freeform == null then null else schemaOf seen freeform;
    in
    {
      schema = {
        type = "object";
        properties = listToAttrs (
          map (p: {
            name = p.key;
            value = p.r.schema;
          }) props
        );
        required = filter (key: treeRequired tree.${key}) keys;
        additionalProperties = if ff == null then false else ff.schema;
      };
      defs = mergeDefs (map (p: p.r) props ++ (if ff == null then [ ] else [ ff ]));
    };

  optionSchema =
    seen: opt:
    let
      r = schemaOf seen opt.type;
    in
    {
      inherit (r) defs;
      # A bare `$ref`: sibling keywords would make type generators mint a
      # second, differently named type for the same definition.
      schema =
        if r.schema ? "$ref" then
          r.schema
        else
          r.schema
        // (if opt ? description then { description = opt.description; } else { })
        // (if opt ? default then { default = opt.default; } else { })
        // (if opt ? example then { examples = [ opt.example ]; } else { });
    };

  # ---------------------------------------------------------------- API

  /**
    Loads a contract file as a type. A contract file is a module (attrset or
    function of `{ lib, … }`), or a function returning a type (for unions such
    as the agent wire events).

    Type: loadContract :: path -> type
  */
  loadContract =
    file:
    let
      raw = import file;
      probe = if isFunction raw then raw { inherit lib; name = "<root>"; config = { }; options = { }; pkgs = null; } else raw;
    in
    if isType probe then probe else types.submodule raw;

  /**
    Every error of `value` against `type`, as "path: message" strings
    (empty list when valid). `root` prefixes the paths.

    Type: validate :: type -> any -> [ string ]
  */
  validateAt = root: type: value: checkType root "<root>" type value;
  validate = validateAt [ ];

  /**
    `value` with declared defaults filled in, recursively.

    Type: applyDefaults :: type -> any -> any
  */
  applyDefaults = type: value: fillType "<root>" type value;

  /**
    Validates and fills defaults, or throws with every error, each on its own
    line, under a heading that names the subject.

    Type: check :: string -> type -> any -> any
  */
  check =
    subject: type: value:
    let
      errors = validate type value;
    in
    if errors == [ ] then
      applyDefaults type value
    else
      throw "${subject}: ${toString (length errors)} error(s):\n  ${concatStringsSep "\n  " errors}";

  /**
    JSON Schema (draft 2020-12) for a type, with `$defs` for named types.

    Type: toJSONSchema :: { id, title, description?, type } -> attrset
  */
  toJSONSchema =
    {
      id,
      title,
      description ? null,
      type,
    }:
    let
      r = schemaOf [ ] (type // { schemaName = null; });
    in
    {
      "$schema" = "https://json-schema.org/draft/2020-12/schema";
      "$id" = id;
      inherit title;
    }
    // (if description != null then { inherit description; } else { })
    // r.schema
    // (if r.defs == { } then { } else { "$defs" = r.defs; });
in
{
  inherit
    lib
    types
    mkOption
    mkEnableOption
    loadContract
    validate
    validateAt
    applyDefaults
    check
    toJSONSchema
    formatPath
    ;
}
