# JSON Schema export (draft 2020-12): types become schemas, named types go to
# `$defs` and are referenced (recursion stops at a name already seen),
# descriptions, defaults and examples are carried. Builtins only.
deps:
let
  inherit (builtins)
    any
    attrNames
    elem
    filter
    foldl'
    listToAttrs
    ;
  inherit (deps) evalModule isOption;
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

in
{
  inherit
    schemaOf
    ;
}
