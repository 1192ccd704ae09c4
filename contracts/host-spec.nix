# Contract: hostSpec, every host's identity (book §10.3). A NixOS module under
# nixpkgs' lib; mkHost forces hostSpec.hostName. Identity only — behaviour is
# switched on by scope enable options. Fleets extend hostSpec with their own
# modules.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.hostSpec = {
    hostName = mkOption {
      type = types.strMatching "[a-z0-9][a-z0-9._-]{0,62}";
      description = "Host name; stamped into networking.hostName and used as the agent's certificate CN. Set by mkHost, never overridable.";
      example = "web-01";
    };
    userName = mkOption {
      type = types.str;
      default = "root";
      description = "Primary user of the host (owner of persisted user data).";
      example = "deploy";
    };
    home = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Home directory of the primary user; null derives it from userName.";
      example = "/home/deploy";
    };
    timeZone = mkOption {
      type = types.str;
      default = "UTC";
      description = "Time zone.";
      example = "Europe/Paris";
    };
    locale = mkOption {
      type = types.str;
      default = "en_US.UTF-8";
      description = "Default locale.";
      example = "fr_FR.UTF-8";
    };
    keyboardLayout = mkOption {
      type = types.str;
      default = "us";
      description = "Console and X keyboard layout.";
      example = "fr";
    };
    rootHashedPasswordFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Path (outside the Nix store) of root's hashed password; null locks password login.";
      example = "/run/secrets/root-password";
    };
    rootSshKeys = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "OpenSSH public keys allowed to log in as root.";
      example = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… ops@example.com" ];
    };
    networking = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      description = "Networking hints for modules (addresses, interfaces); free-form.";
      example = { primaryInterface = "eth0"; };
    };
    secretsBackend = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "Name of the secrets backend the fleet uses (a hint for modules; the framework reads only paths).";
      example = "agenix";
    };
    isDarwin = mkOption {
      type = types.bool;
      default = false;
      description = "Whether the host is a nix-darwin machine.";
      example = false;
    };
  };
}
