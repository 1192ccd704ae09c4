# Defaults: a value with every declared default filled in, recursively
# (a union fills through the first branch that validates). Builtins only.
deps:
let
  inherit (builtins)
    attrNames
    concatMap
    elemAt
    filter
    isAttrs
    isList
    listToAttrs
    mapAttrs
    ;
  inherit (deps) evalModule isOption checkType;
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

in
{
  inherit
    fillType
    ;
}
