# Core NixOS glue (book §10.5 "Core glue"): turns the hostSpec identity into
# standard NixOS options, enables flakes, and contributes the persistence
# baseline. Imports the three host-facing contracts so every option other
# modules read exists. Mechanism only: no services, no users beyond root's
# access, no opinions a fleet would have to undo (everything is mkDefault
# except the host name).
{ config, lib, ... }:
let
  inherit (lib) mkDefault mkIf mkMerge;
  spec = config.hostSpec;
  render = import ../../lib/render;
  identity = render.host.identity spec.hostName;
in
{
  imports = [
    ../../contracts/host-spec.nix
    ../../contracts/persistence.nix
    ../../contracts/trust.nix
  ];

  config = mkMerge [
    {
      # hostSpec.hostName is the agent's certificate CN and may carry dots;
      # networking.hostName may not, so the rest becomes the domain.
      networking.hostName = identity.hostName;
      networking.domain = mkIf (identity.domain != null) (mkDefault identity.domain);

      time.timeZone = mkDefault spec.timeZone;
      i18n.defaultLocale = mkDefault spec.locale;
      console.keyMap = mkDefault spec.keyboardLayout;
      services.xserver.xkb.layout = mkDefault spec.keyboardLayout;

      users.users.root.openssh.authorizedKeys.keys = spec.rootSshKeys;

      # Fleets are flakes: the CLI needs nix-command and flakes, and a
      # channel-based NIX_PATH would shadow the flake's pinned nixpkgs.
      nix.settings.experimental-features = [
        "nix-command"
        "flakes"
      ];
      nix.channel.enable = mkDefault false;

      nixfleet.persistence = {
        inherit (render.host.persistenceBaseline) directories files;
      };
    }

    (mkIf (spec.rootHashedPasswordFile != null) {
      users.users.root.hashedPasswordFile = spec.rootHashedPasswordFile;
    })
  ];
}
