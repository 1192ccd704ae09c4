# Exports every contract of a directory as JSON Schema, in one evaluation:
# `nix-instantiate --eval --strict --json lib/schema/export.nix` →
# { "<name>" = <schema>; … } for each contracts/<name>.nix (files starting
# with `_` are helpers, not contracts).
{
  dir ? ../../contracts,
}:
let
  schema = import ./default.nix;
  inherit (builtins)
    attrNames
    filter
    listToAttrs
    match
    readDir
    ;
  entries = readDir dir;
  files = filter (f: entries.${f} == "regular" && match "[^_].*\\.nix" f != null) (attrNames entries);
  baseName = f: builtins.head (match "(.*)\\.nix" f);
  # fleet-resolved → FleetResolved
  title =
    n:
    builtins.concatStringsSep "" (
      map (w: if builtins.isString w && w != "" then
        (builtins.substring 0 1 (builtins.replaceStrings
          [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ]
          [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
          (builtins.substring 0 1 w))) + builtins.substring 1 (-1) w
      else "") (builtins.split "-" n)
    );
in
listToAttrs (
  map (f: {
    name = baseName f;
    value = schema.toJSONSchema {
      id = "https://nixfleet.dev/schemas/${baseName f}.schema.json";
      title = title (baseName f);
      type = schema.loadContract (dir + "/${f}");
    };
  }) files
)
