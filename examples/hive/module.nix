# services.hyperhive.matrix, the NixOS module of the hive-matrix homeserver
# (shape of seed 000; the container and fluffychat parts are left out). Its
# decisions are settings.nix; this module applies them to NixOS:
# assertions, the firewall, the state directories in the persistence
# contract, the token written at activation, and the homeserver's identity
# declared irrevocable (nixfleet.irrevocable.serverName): a release that
# changes it is refused (docs/fleet-authors.md, "Values that must never
# change").
{
  config,
  lib,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.hyperhive.matrix;
  s = import ./settings.nix {
    defaults = cfg.defaults;
    domain = config.services.hyperhive.domain;
    # Unset (null) serverName and openFirewall take the module release's
    # defaults; gatewayHost null means no gateway vhost, as in the seed.
    matrix =
      removeAttrs { inherit (cfg) serverName openFirewall; } (
        builtins.filter (n: cfg.${n} == null) [ "serverName" "openFirewall" ]
      )
      // {
        inherit (cfg)
          gatewayHost
          trustedServers
          maxRequestSize
          registrationTokenFile
          httpPort
          ;
      };
  };
in
{
  options.services.hyperhive = {
    domain = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The hive's domain; serverName and gatewayHost default from it.";
      example = "example.com";
    };
    matrix = {
      enable = lib.mkEnableOption "the hive-matrix homeserver";
      defaults = mkOption {
        type = types.enum [ "v1" "v2" ];
        default = "v2";
        description = "Which module release's defaults apply (v1: serverName = matrix.<domain>, openFirewall = true; v2: <domain>, false).";
        example = "v1";
      };
      serverName = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Matrix server_name, embedded in every user and room id; null takes the default of the module release (`defaults`). Irrevocable once released.";
        example = "example.com";
      };
      gatewayHost = mkOption {
        type = types.nullOr types.str;
        default = if config.services.hyperhive.domain == null then null else "matrix.${config.services.hyperhive.domain}";
        defaultText = "matrix.<services.hyperhive.domain>";
        description = "API listener hostname the gateway proxies /_matrix/* for; null skips the gateway vhost (the empty string is refused).";
        example = "matrix.example.com";
      };
      openFirewall = mkOption {
        type = types.nullOr types.bool;
        default = null;
        description = "Open httpPort in the host firewall; null takes the default of the module release.";
        example = true;
      };
      trustedServers = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Peer homeserver names whose signing keys are trusted.";
        example = [ "matrix.org" ];
      };
      maxRequestSize = mkOption {
        type = types.ints.positive;
        default = 20000000;
        description = "Maximum size of one client request body, in bytes.";
        example = 50000000;
      };
      registrationTokenFile = mkOption {
        type = types.str;
        default = "/var/lib/hyperhive/matrix-register-token";
        description = "Host path of the registration token, written at activation (0600 root:root), never in the store.";
        example = "/var/lib/hyperhive/matrix-register-token";
      };
      httpPort = mkOption {
        type = types.port;
        default = 6167;
        description = "Port tuwunel listens on.";
        example = 6167;
      };
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = s.assertions;
    # Only once it has a value: with neither serverName nor domain the
    # assertion above refuses the system.
    nixfleet.irrevocable = lib.optionalAttrs (s.cfg.serverName != null) { inherit (s.cfg) serverName; };
    nixfleet.persistence.directories = s.stateDirectories;
    networking.firewall.allowedTCPPorts = lib.optional s.cfg.openFirewall cfg.httpPort;
    environment.etc."hive-matrix/tuwunel.json".text = s.tuwunelConfig;
    system.activationScripts.hive-matrix-token = {
      deps = [ ];
      text = "ROOT=\n" + s.tokenActivation;
    };
  };
}
