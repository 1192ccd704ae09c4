# Helpers shared by the mkFleet fixtures: stand-in NixOS configurations.
# The toplevel is a real derivation (builtins only), but the tests never
# build it: mkFleet only checks that config.system.build.toplevel exists.
let
  toplevel =
    name:
    builtins.derivation {
      name = "nixos-system-${name}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [
        "-c"
        "mkdir -p $out/bin && printf '#!/bin/sh\\nexit 0\\n' > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration"
      ];
      PATH = "/bin:/usr/bin";
    };

  /**
    A stand-in evaluated NixOS configuration for host `name`.

    Type: configuration :: string -> { config.system.build.toplevel :: derivation }
  */
  configuration = name: { config.system.build.toplevel = toplevel name; };

  hardenedConfig = import ../support/hardened.nix;

  /**
    A stand-in configuration whose option values pass every compliance
    control (tests/lib/support/hardened.nix), merged with `extra` at the
    top level of `config` (override whole option subtrees).

    Type: hardened :: string -> attrset -> { config :: attrset }
  */
  hardened =
    name: extra:
    {
      config =
        hardenedConfig
        // {
          system = hardenedConfig.system // {
            build.toplevel = toplevel name;
          };
        }
        // extra;
    };
in
{
  inherit configuration hardened;

  /**
    A host declaration with system x86_64-linux and a stand-in configuration;
    `attrs` adds or overrides fields.

    Type: host :: string -> attrset -> attrset

    Example: host "web-01" { channel = "stable"; tags = [ "web" ]; }
  */
  host =
    name: attrs:
    {
      system = "x86_64-linux";
      configuration = configuration name;
    }
    // attrs;

  /**
    `hosts` for a list of names sharing the same attributes.

    Type: hosts :: [ string ] -> attrset -> attrset
  */
  hosts =
    names: attrs:
    builtins.listToAttrs (
      map (n: {
        name = n;
        value = {
          system = "x86_64-linux";
          configuration = configuration n;
        }
        // attrs;
      }) names
    );
}
