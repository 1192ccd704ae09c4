# services.nixfleet-cache: binary-cache client wiring (book §10.5). Adds the
# fleet's cache to Nix's substituters and its signing keys (this option's
# publicKey plus nixfleet.trust.cacheKeys) to trusted-public-keys, so hosts
# refuse unsigned paths. Format-agnostic (attic, harmonia, S3, file://).
# Never holds the cache's private signing key.
{ config, lib, ... }:
let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    optional
    types
    ;
  cfg = config.services.nixfleet-cache;
  keys = optional (cfg.publicKey != null) cfg.publicKey ++ config.nixfleet.trust.cacheKeys;
in
{
  imports = [ ../../../contracts/trust.nix ];

  options.services.nixfleet-cache = {
    enable = mkEnableOption "the fleet binary cache as a substituter";

    cacheUrl = mkOption {
      type = types.str;
      description = "URL of the fleet's binary cache. The agent copies dispatched closures from it too (services.nixfleet-agent.cacheUrls defaults to it).";
      example = "https://cache.example.com";
    };

    publicKey = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The cache's public signing key (`name:base64`); null relies on nixfleet.trust.cacheKeys alone.";
      example = "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = keys != [ ];
        message = "services.nixfleet-cache: no signing key for ${cfg.cacheUrl}, so Nix would refuse every path from it. Fix: set services.nixfleet-cache.publicKey or nixfleet.trust.cacheKeys.";
      }
    ];
    nix.settings.substituters = [ cfg.cacheUrl ];
    nix.settings.trusted-public-keys = keys;
  };
}
