# Secrets impl (book §10.4, flake.scopes.secrets): backend-agnostic identity
# paths. Declares where decryption identities live (the SSH host key, an
# optional user key, extra ones), makes sure the host key exists at first
# boot, and keeps them all across reboots through the persistence contract.
# Never wraps agenix / sops / vault: the fleet wires its backend to
# `resolvedIdentityPaths` itself (e.g. age.identityPaths).
{ config, lib, pkgs, ... }:
let
  inherit (lib)
    literalExpression
    mkEnableOption
    mkIf
    mkOption
    types
    ;
  cfg = config.nixfleet.secrets;
  identity = import ../../lib/render/identity-paths.nix;
  absPath = types.strMatching "/.*";
in
{
  imports = [ ../../contracts/persistence.nix ];

  options.nixfleet.secrets = {
    enable = mkEnableOption "identity-path management for the fleet's secrets backend" // {
      default = true;
      example = false;
    };

    identityPaths = {
      hostKey = mkOption {
        type = absPath;
        default = "/etc/ssh/ssh_host_ed25519_key";
        description = "The host's SSH ed25519 private key, the host's decryption identity (and the agent's host key).";
        example = "/persist/etc/ssh/ssh_host_ed25519_key";
      };
      userKey = mkOption {
        type = types.nullOr absPath;
        default = null;
        description = "An additional identity of the primary user (e.g. an age key), or null.";
        example = "/home/deploy/.config/age/keys.txt";
      };
      extra = mkOption {
        type = types.listOf absPath;
        default = [ ];
        description = "Further identity files, in the order the backend should try them.";
        example = [ "/persist/secrets/recovery.age-key" ];
      };
    };

    resolvedIdentityPaths = mkOption {
      type = types.listOf types.str;
      readOnly = true;
      default = identity.resolve cfg.identityPaths;
      defaultText = literalExpression "[ hostKey userKey ] ++ extra, nulls and duplicates removed";
      description = "Every identity path in order, for the fleet's backend (e.g. age.identityPaths = config.nixfleet.secrets.resolvedIdentityPaths).";
      example = [ "/etc/ssh/ssh_host_ed25519_key" ];
    };
  };

  config = mkIf cfg.enable {
    # First boot (or a wiped root without persistence): create the host key
    # before anything decrypts. sshd would generate it too, but only if
    # enabled and only when it starts.
    systemd.services.nixfleet-host-key = {
      description = "Create the SSH host key used as the secrets identity";
      wantedBy = [ "multi-user.target" ];
      before = [ "sshd.service" "nixfleet-agent.service" ];
      unitConfig.ConditionPathExists = "!${cfg.identityPaths.hostKey}";
      serviceConfig.Type = "oneshot";
      script = ''
        mkdir -p "$(dirname ${lib.escapeShellArg cfg.identityPaths.hostKey})"
        ${pkgs.openssh}/bin/ssh-keygen -q -t ed25519 -N "" -f ${lib.escapeShellArg cfg.identityPaths.hostKey}
      '';
    };

    nixfleet.persistence.files = identity.persistedFiles cfg.identityPaths;
  };
}
