# Pure transforms of package.json / package-lock.json (lockfileVersion 3) for
# the Nix packages (nix/packages/): the runtime needs only the production
# dependency tree, and nixpkgs' importNpmLock fetches exactly what the lock
# lists, so dropping dev-only entries shrinks the fetch set (and with it the
# rollup optional-dependency quirk of npm/cli#4828, a dev-only package).
# Builtins only; tests/lib/package/ checks the result is a closed tree.
let
  inherit (builtins)
    attrNames
    concatMap
    filter
    foldl'
    genList
    length
    listToAttrs
    removeAttrs
    split
    isString
    ;

  filterAttrs =
    pred: set:
    listToAttrs (
      concatMap (
        name:
        if pred name set.${name} then
          [
            {
              inherit name;
              value = set.${name};
            }
          ]
        else
          [ ]
      ) (attrNames set)
    );

  # "node_modules/a/node_modules/b" -> [ "a" "b" ] (scoped names keep their slash).
  segments = key: filter (s: isString s && s != "") (split "/?node_modules/" key);

  # Node's lookup from a package at `key` for dependency `dep`: its own
  # node_modules, then each ancestor's, then the top level.
  candidates =
    key: dep:
    let
      segs = segments key;
      n = length segs;
      prefix = i: foldl' (acc: s: "${acc}node_modules/${s}/") "" (genList (j: builtins.elemAt segs j) i);
    in
    genList (i: "${prefix (n - i)}node_modules/${dep}") (n + 1);
in
rec {
  /**
    The production-only package.json and lock: `dev = true` entries and
    devDependencies removed. Entries marked `devOptional` stay (npm uses it
    for packages that are optional in production too).

    Type: prodOnly :: { package :: attrset, lock :: attrset } -> { package :: attrset, lock :: attrset }

    Example: (prodOnly { package = importJSON ./package.json; lock = importJSON ./package-lock.json; }).lock.packages ? "node_modules/vitest"
      => false
  */
  prodOnly =
    { package, lock }:
    let
      kept = filterAttrs (k: v: k != "" && !(v.dev or false)) lock.packages;
    in
    {
      package = removeAttrs package [ "devDependencies" ];
      lock = lock // {
        packages = kept // {
          "" = removeAttrs lock.packages."" [ "devDependencies" ];
        };
      };
    };

  /**
    Dependencies (required, not optional or peer) that no lock entry
    satisfies, as "<package key> -> <dependency>" strings. Empty for a
    closed tree.

    Type: unresolved :: attrset -> [ string ]
  */
  unresolved =
    lock:
    concatMap (
      key:
      let
        deps = attrNames (lock.packages.${key}.dependencies or { });
      in
      concatMap (
        dep:
        if builtins.any (c: lock.packages ? ${c}) (candidates key dep) then
          [ ]
        else
          [ "${if key == "" then "(root)" else key} -> ${dep}" ]
      ) deps
    ) (attrNames lock.packages);

  inherit candidates;
}
