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
    elem
    filter
    foldl'
    genericClosure
    genList
    head
    intersectAttrs
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

  # The lock entry Node would load for `dep` required from `key`, or null.
  resolve =
    lock: key: dep:
    let
      found = filter (c: lock.packages ? ${c}) (candidates key dep);
    in
    if found == [ ] then null else head found;

  # Lock keys of the named top-level packages and everything they need,
  # optional dependencies included (esbuild's binary is one).
  closureOf =
    lock: names:
    map (x: x.key) (genericClosure {
      startSet = map (n: { key = "node_modules/${n}"; }) (filter (n: lock.packages ? "node_modules/${n}") names);
      operator =
        item:
        let
          p = lock.packages.${item.key};
        in
        concatMap (
          dep:
          let
            r = resolve lock item.key dep;
          in
          if r == null then [ ] else [ { key = r; } ]
        ) (attrNames ((p.dependencies or { }) // (p.optionalDependencies or { })));
    });
in
rec {
  /**
    The production-only package.json and lock: `dev = true` entries and
    devDependencies removed, except the development dependencies named in
    `buildTools` and their closure (what the package's build step runs;
    `npm prune --omit=dev` drops them again after the build). Entries marked
    `devOptional` stay (npm uses it for packages that are optional in
    production too).

    Type: prodOnly :: { package :: attrset, lock :: attrset, buildTools :: [ string ] ? [ ] } -> { package :: attrset, lock :: attrset }

    Example: (prodOnly { package = importJSON ./package.json; lock = importJSON ./package-lock.json; buildTools = [ "esbuild" ]; }).lock.packages ? "node_modules/vitest"
      => false
  */
  prodOnly =
    {
      package,
      lock,
      buildTools ? [ ],
    }:
    let
      tools = closureOf lock buildTools;
      kept = filterAttrs (k: v: k != "" && (!(v.dev or false) || elem k tools)) lock.packages;
      # Only the named tools stay declared, so package.json and the lock agree (npm ci checks).
      keepDev =
        attrs:
        let
          dev = intersectAttrs (listToAttrs (map (name: { inherit name; value = null; }) buildTools)) (
            attrs.devDependencies or { }
          );
        in
        removeAttrs attrs [ "devDependencies" ] // (if dev == { } then { } else { devDependencies = dev; });
    in
    {
      package = keepDev package;
      lock = lock // {
        packages = kept // {
          "" = keepDev lock.packages."";
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

  inherit candidates closureOf;
}
