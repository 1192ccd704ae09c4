# Validation: every error of a value against a type, as "path: message"
# strings, all at once; unions report the branch the value was meant for.
# Builtins only.
deps:
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
    isInt
    isList
    isString
    length
    match
    toJSON
    typeOf
    ;
  inherit (deps) evalModule isOption;
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

in
{
  inherit
    formatPath
    checkType
    checkTree
    ;
}
