# House-style checks of option declarations (STYLE.md rule 8): every option
# has a type, a full-sentence description and an example that type-checks,
# and a default that type-checks unless it is computed (`defaultText`).
# Uses lib/schema to type-check, so it runs without nixpkgs.
let
  inherit (builtins)
    attrNames
    concatMap
    elem
    isAttrs
    match
    ;
  schema = import ../../../lib/schema;
  isOption = v: isAttrs v && (v._type or null) == "option";
  isLiteral = v: isAttrs v && elem (v._type or null) [ "literalExpression" "literalMD" ];

  problems =
    path: tree:
    concatMap (
      k:
      let
        o = tree.${k};
        p = "${path}.${k}";
        checks = [
          {
            bad = !(o ? type);
            msg = "no type";
          }
          {
            bad = !(o ? description) || match "[A-Z`].*[.]" (o.description or "") == null;
            msg = "description must be a full sentence (capital letter, final period)";
          }
          {
            bad = !(o ? example);
            msg = "no example";
          }
          {
            bad = o ? example && !(isLiteral o.example) && (o.type.name or "") != "package" && schema.validate o.type o.example != [ ];
            msg = "example does not type-check: ${toString (schema.validate o.type (o.example or null))}";
          }
          {
            bad = o ? default && !(o ? defaultText) && schema.validate o.type o.default != [ ];
            msg = "default does not type-check";
          }
        ];
      in
      if isOption o then
        map (c: "${p}: ${c.msg}") (builtins.filter (c: c.bad) checks)
      else if isAttrs o then
        problems p o
      else
        [ "${p}: not an option" ]
    ) (attrNames tree);

in
{
  /**
    Problems of an option tree, each "path: problem".

    Type: problems :: string -> attrset -> [ string ]
  */
  inherit problems;
}
