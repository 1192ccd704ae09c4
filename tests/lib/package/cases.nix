# lib/package/npm-lock.nix against this repository's real lockfile: the
# production tree nix/packages builds from must be closed (every required
# dependency resolvable the way Node resolves it) and free of dev-only
# packages. Run: bash tests/lib/package/run.sh
let
  inherit (builtins)
    attrNames
    filter
    fromJSON
    readFile
    ;
  npmLock = import ../../../lib/package/npm-lock.nix;
  t = import ../support/cases.nix;
  inherit (t) eq none truthy;

  package = fromJSON (readFile ../../../package.json);
  lock = fromJSON (readFile ../../../package-lock.json);
  prod = npmLock.prodOnly { inherit package lock; };
  names = attrNames prod.lock.packages;
  # What nix/packages fetches: the runtime tree plus the bundler its build runs.
  build = npmLock.prodOnly {
    inherit package lock;
    buildTools = [ "esbuild" ];
  };
  buildDev = filter (n: build.lock.packages.${n}.dev or false) (attrNames build.lock.packages);
  synthetic = {
    packages = {
      "" = {
        dependencies.a = "1";
      };
      "node_modules/a" = {
        dependencies = {
          b = "1";
          missing = "1";
        };
      };
      "node_modules/a/node_modules/b" = {
        dependencies.c = "1";
      };
      "node_modules/c" = { };
    };
  };
in
{
  prod-closed = none (npmLock.unresolved prod.lock);
  full-closed = none (npmLock.unresolved lock);
  prod-no-dev = none (filter (n: prod.lock.packages.${n}.dev or false) names);
  prod-no-dev-deps = eq [
    (prod.package ? devDependencies)
    (prod.lock.packages."" ? devDependencies)
  ] [ false false ];
  prod-keeps-runtime = truthy (
    prod.lock.packages ? "node_modules/better-sqlite3"
    && prod.lock.packages ? "node_modules/pino"
    && prod.lock.packages ? "node_modules/undici"
  ) "better-sqlite3, pino and undici are runtime dependencies";
  # The built programs run without a TypeScript loader: tsx is a development tool.
  prod-no-loader = eq (prod.lock.packages ? "node_modules/tsx") false;
  build-closed = none (npmLock.unresolved build.lock);
  build-keeps-esbuild = truthy (
    build.lock.packages ? "node_modules/esbuild"
    && build.lock.packages ? "node_modules/@esbuild/linux-x64"
    && build.package.devDependencies == { inherit (package.devDependencies) esbuild; }
    && build.lock.packages."".devDependencies == build.package.devDependencies
  ) "the build's lock keeps esbuild, its platform binaries and only that devDependency";
  build-dev-is-esbuild = eq (filter (n: builtins.match "node_modules/(@esbuild/[^/]+|esbuild)" n == null) buildDev) [ ];
  prod-drops-test-tools = eq [
    (prod.lock.packages ? "node_modules/vitest")
    (prod.lock.packages ? "node_modules/rollup")
  ] [ false false ];
  prod-keeps-bin = eq prod.package.bin package.bin;
  unresolved-detects = eq (npmLock.unresolved synthetic) [ "node_modules/a -> missing" ];
  candidates-nested = eq (npmLock.candidates "node_modules/a/node_modules/@s/b" "c") [
    "node_modules/a/node_modules/@s/b/node_modules/c"
    "node_modules/a/node_modules/c"
    "node_modules/c"
  ];
}
