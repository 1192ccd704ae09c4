# Contract: what survives reboots on impermanent hosts (book §10.3). Service
# modules contribute their state paths; the active impl reads the merged list.
{ lib, ... }:
let
  inherit (lib) mkEnableOption mkOption types;
  entry = types.either types.str (types.attrsOf types.anything);
in
{
  options.nixfleet.persistence = {
    enable = mkEnableOption "system-level persistence";
    persistRoot = mkOption {
      type = types.str;
      default = "/persist";
      description = "Where persisted paths live.";
      example = "/persist";
    };
    directories = mkOption {
      type = types.listOf entry;
      default = [ ];
      description = "Directories to persist (paths, or impermanence-style attribute sets).";
      example = [ "/var/lib/nixfleet" ];
    };
    files = mkOption {
      type = types.listOf entry;
      default = [ ];
      description = "Files to persist.";
      example = [ "/etc/ssh/ssh_host_ed25519_key" ];
    };
  };
}
