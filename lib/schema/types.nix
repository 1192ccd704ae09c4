# Type constructors of the contract language: a documented subset of the
# NixOS module API's `lib.types`, represented as plain data so that one
# interpreter (validate.nix) checks values and one exporter (json-schema.nix)
# writes JSON Schema from the same declaration.
#
# Every type is an attrset `{ _type = "option-type"; kind; name; description; … }`.
# Contracts may add `schemaName = "Selector";` with `//` to export a type under
# a name in `$defs` (needed for recursive types; harmless under nixpkgs' lib).
#
# Supported: str, bool, int, ints.{unsigned,positive,between,u16}, port, enum,
# strMatching, listOf, attrsOf, submodule, nullOr, either, oneOf, anything.
#
# Builtins only: this file is evaluated on machines without nixpkgs.
let
  mk =
    kind: name: description: extra:
    {
      _type = "option-type";
      inherit kind name description;
      schemaName = null;
    }
    // extra;

  showValue = v: if builtins.isString v then ''"${v}"'' else builtins.toJSON v;

  int = mk "int" "int" "integer" {
    min = null;
    max = null;
  };

  between =
    lo: hi:
    int
    // {
      name = "intBetween";
      description = "integer between ${toString lo} and ${toString hi} (both inclusive)";
      min = lo;
      max = hi;
    };
in
{
  str = mk "str" "str" "string" { };

  bool = mk "bool" "bool" "boolean" { };

  inherit int;

  ints = {
    unsigned =
      int
      // {
        name = "unsignedInt";
        description = "unsigned integer, meaning >=0";
        min = 0;
      };
    positive =
      int
      // {
        name = "positiveInt";
        description = "positive integer, meaning >0";
        min = 1;
      };
    inherit between;
    u16 = between 0 65535;
  };

  port = between 0 65535;

  anything = mk "anything" "anything" "anything" { };

  /**
    One of the listed values.

    Type: enum :: [ a ] -> type

    Example: enum [ "enforce" "observe" "disabled" ]
  */
  enum =
    values:
    mk "enum" "enum" "one of ${builtins.concatStringsSep ", " (map showValue values)}" {
      inherit values;
    };

  /**
    A string matching a POSIX extended regular expression (whole-string match,
    as `builtins.match`). Keep patterns to the subset that means the same in
    POSIX ERE and ECMAScript (bracket classes, groups, `|`, `?*+{n,m}`): the
    JSON Schema export anchors it as `^(re)$`.

    Type: strMatching :: string -> type
  */
  strMatching =
    regex:
    mk "strMatching" "strMatching ${showValue regex}" "string matching the pattern ${regex}" {
      inherit regex;
    };

  listOf =
    elemType:
    mk "listOf" "listOf" "list of ${elemType.description}" { inherit elemType; };

  attrsOf =
    elemType:
    mk "attrsOf" "attrsOf" "attribute set of ${elemType.description}" { inherit elemType; };

  nullOr =
    elemType:
    mk "nullOr" "nullOr" "null or ${elemType.description}" { inherit elemType; };

  either =
    a: b:
    mk "oneOf" "either" "${a.description} or ${b.description}" { branches = [ a b ]; };

  oneOf =
    branches:
    mk "oneOf" "oneOf" (builtins.concatStringsSep " or " (map (t: t.description) branches)) {
      inherit branches;
    };

  /**
    A nested set of options, given as a module: an attrset
    `{ options = …; freeformType = …; }` or a function of
    `{ lib, name, config, … }` returning one. `name` is the attribute name
    when the submodule sits under `attrsOf`.

    Type: submodule :: module -> type
  */
  submodule =
    module:
    mk "submodule" "submodule" "submodule" { inherit module; };
}
