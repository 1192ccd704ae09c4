# The NixFleet programs, built from this repository's package-lock.json with
# nixpkgs' importNpmLock: every dependency is fetched by the integrity hash
# the lockfile already records, so there is no hand-maintained npmDepsHash to
# bump. One npm build (`nixfleet`) runs `npm run build` (esbuild, the only
# development dependency fetched) and installs the plain JavaScript of dist/
# with the runtime node_modules: no TypeScript sources, no loader.
# `nixfleet-agent` and `nixfleet-control-plane` are thin links to its
# binaries, so a host's closure carries one copy.
#
# Needs nixpkgs (evaluated only where it is available; see
# docs/nixos-modules.md). The lockfile transform it relies on is pure and
# tested here (lib/package/npm-lock.nix, tests/lib/package/).
#
#   (import ./nix/packages { inherit pkgs; }).nixfleet-agent
{
  pkgs,
  nodejs ? pkgs.nodejs_20,
  # Short git revision `--version` prints; null: "unknown" (no .git in the store).
  commit ? null,
}:
let
  inherit (pkgs) lib;
  npmLock = import ../../lib/package/npm-lock.nix;

  root = ../..;
  # What the build reads (the sources, the build script) and what the
  # package ships ("files" in package.json: dist/, the Nix library
  # `nixfleet release` evaluates, the contracts and schemas it imports).
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/package.json")
      (root + "/package-lock.json")
      (root + "/tsconfig.json")
      (root + "/scripts/build.mjs")
      (root + "/ts")
      (root + "/schemas")
      (root + "/lib")
      (root + "/contracts")
    ];
  };

  prod = npmLock.prodOnly {
    package = lib.importJSON (root + "/package.json");
    lock = lib.importJSON (root + "/package-lock.json");
    buildTools = [ "esbuild" ];
  };

  nixfleet = pkgs.buildNpmPackage {
    pname = "nixfleet";
    inherit (prod.package) version;
    inherit src nodejs;

    npmDeps = pkgs.importNpmLock {
      npmRoot = src;
      inherit (prod) package;
      packageLock = prod.lock;
    };
    npmConfigHook = pkgs.importNpmLock.npmConfigHook;

    # better-sqlite3 is a native addon: node-gyp needs python3, a compiler
    # (stdenv) and Node's headers (the config hook points npm_config_nodedir
    # at them). Its prebuilt download would fail in the sandbox anyway.
    nativeBuildInputs = [ pkgs.python3 ] ++ lib.optional pkgs.stdenv.hostPlatform.isDarwin pkgs.cctools;
    env.npm_config_build_from_source = "true";

    # `npm run build` (scripts/build.mjs) writes dist/; the install hook's
    # `npm prune --omit=dev` then drops esbuild again.
    npmBuildScript = "build";

    postInstall = lib.optionalString (commit != null) ''
      echo ${lib.escapeShellArg commit} > $out/lib/node_modules/nixfleet/COMMIT
    '';

    doInstallCheck = true;
    installCheckPhase = ''
      runHook preInstallCheck
      $out/bin/nixfleet --help > /dev/null
      $out/bin/nixfleet --version
      $out/bin/nixfleet-agent --version
      $out/bin/nixfleet-control-plane --version
      # Built JavaScript only: no loader, no sources, no build tool in the closure.
      for gone in node_modules/tsx node_modules/esbuild ts bin; do
        if [ -e "$out/lib/node_modules/nixfleet/$gone" ]; then
          echo "$gone must not be installed" >&2
          exit 1
        fi
      done
      ${nodejs}/bin/node -e "require('$out/lib/node_modules/nixfleet/node_modules/better-sqlite3')(':memory:').close()"
      runHook postInstallCheck
    '';

    meta = {
      description = "Declarative NixOS fleet management: signed intent, a routing control plane, agents as the last line of defence";
      license = lib.licenses.mit;
      mainProgram = "nixfleet";
      platforms = lib.platforms.linux ++ lib.platforms.darwin;
    };
  };

  # A link to one of nixfleet's binaries (declared in package.json "bin").
  program =
    name:
    pkgs.runCommand "${name}-${nixfleet.version}"
      {
        meta = nixfleet.meta // {
          mainProgram = name;
        };
      }
      ''
        if [ ! -x ${nixfleet}/bin/${name} ]; then
          echo "${name}: not among package.json \"bin\" entries of nixfleet" >&2
          exit 1
        fi
        mkdir -p $out/bin
        ln -s ${nixfleet}/bin/${name} $out/bin/${name}
      '';
in
{
  inherit nixfleet;
  nixfleet-agent = program "nixfleet-agent";
  nixfleet-control-plane = program "nixfleet-control-plane";
  nixfleet-compliance-collect = program "nixfleet-compliance-collect";
}
