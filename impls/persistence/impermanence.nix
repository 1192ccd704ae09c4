# Persistence impl (book §10.4, flake.scopes.persistence.impermanence): makes
# the nixfleet.persistence contract real with the upstream impermanence
# module (bind mounts from persistRoot) and, optionally, a btrfs root that is
# rolled over on every boot. The fleet imports impermanence's NixOS module
# itself (this flake takes nixpkgs only); an assertion says so when missing.
# Never decides what to persist: service modules contribute their paths.
{
  config,
  lib,
  options,
  ...
}:
let
  inherit (lib)
    mkIf
    mkMerge
    mkOption
    types
    ;
  cfg = config.nixfleet.persistence;
  impl = cfg.impermanence;
  wipe = import ../../lib/render/btrfs-wipe.nix;
in
{
  imports = [ ../../contracts/persistence.nix ];

  options.nixfleet.persistence.impermanence = {
    rootDevice = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = null;
      description = "Btrfs device holding the @root subvolume to roll over at boot; null leaves the root alone (e.g. a tmpfs root).";
      example = "/dev/disk/by-label/nixos";
    };
    oldRootsRetentionDays = mkOption {
      type = types.ints.positive;
      default = 30;
      description = "Days a rolled-over root is kept under old_roots/ before it is deleted.";
      example = 7;
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = [
        {
          assertion = options ? environment.persistence;
          message = "nixfleet.persistence (impermanence impl): environment.persistence does not exist. Fix: add inputs.impermanence.nixosModules.impermanence to the host's modules.";
        }
      ];
    }
    (lib.optionalAttrs (options ? environment.persistence) {
      environment.persistence.${cfg.persistRoot} = {
        hideMounts = true;
        inherit (cfg) directories files;
      };
    })
    {
      # The persist root must be mounted before the bind mounts are made.
      fileSystems.${cfg.persistRoot}.neededForBoot = true;
    }
    (mkIf (impl.rootDevice != null) {
      # Runs in the initrd after the device appears and before / is mounted.
      boot.initrd.postResumeCommands = lib.mkAfter (wipe.script {
        device = impl.rootDevice;
        retentionDays = impl.oldRootsRetentionDays;
      });
    })
  ]);
}
