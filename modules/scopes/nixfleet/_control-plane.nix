# services.nixfleet-control-plane: the control plane as a systemd service
# (book §10.5). Owns the unit, its system user, /etc/nixfleet/cp/trust.json,
# the firewall opening (opt-in) and the persistence contribution. Computed
# values come from lib/render/control-plane.nix; this file only wires them.
# Never reads secrets at evaluation: TLS and CA keys, tokens are paths.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    getExe'
    literalExpression
    mkDefault
    mkIf
    mkMerge
    mkOption
    types
    ;
  cfg = config.services.nixfleet-control-plane;
  render = import ../../../lib/render;
  cp = render.controlPlane;

  user = "nixfleet-cp";
  group = "nixfleet-cp";
  listen = cp.parseListen cfg.listen;
  trustText = builtins.toJSON config.nixfleet.trustJson;
in
{
  imports = [
    ./_trust-json.nix
    ../../../contracts/persistence.nix
  ];

  # Declarations live in _control-plane-options.nix so tests can evaluate
  # them without nixpkgs; only `package` needs nixpkgs' types.
  options.services.nixfleet-control-plane = import ./_control-plane-options.nix { inherit lib; } // {
    package = mkOption {
      type = types.package;
      default = (import ../../../nix/packages { inherit pkgs; }).nixfleet-control-plane;
      defaultText = literalExpression "nixfleet.packages.\${pkgs.stdenv.hostPlatform.system}.nixfleet-control-plane";
      description = "Package providing bin/nixfleet-control-plane (escape hatch for harnesses and vendored builds).";
      example = literalExpression "nixfleet.packages.x86_64-linux.nixfleet-control-plane";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = cp.assertions {
        inherit cfg;
        inherit (config.nixfleet) trust;
      };
      warnings = cp.warnings cfg;
    }

    {
      environment.etc."nixfleet/cp/trust.json".text = trustText;

      # A fixed system user rather than DynamicUser: secrets backends
      # (agenix, sops-nix) need a stable owner for the TLS and CA keys.
      users.users.${user} = {
        isSystemUser = true;
        inherit group;
        home = cp.stateDir;
        description = "NixFleet control plane";
      };
      users.groups.${group} = { };

      # The kernel caps the CP's accept queue (--listen-backlog, 16384) at
      # somaxconn (4096 on most kernels): raised so that a fleet reconnecting
      # together after a restart is queued, not dropped into TCP's SYN
      # retransmit backoff (bench/results/reconnect-storm-*.md).
      boot.kernel.sysctl."net.core.somaxconn" = mkDefault 16384;
      boot.kernel.sysctl."net.ipv4.tcp_max_syn_backlog" = mkDefault 16384;

      networking.firewall.allowedTCPPorts = mkIf (cfg.openFirewall && listen != null) [ listen.port ];

      systemd.services.nixfleet-control-plane = {
        description = "NixFleet control plane";
        wantedBy = [ "multi-user.target" ];
        # Artifact polling (releaseSource) needs the network at start.
        wants = [ "network-online.target" ];
        after = [ "network-online.target" ];
        # The trust roots are read once at start.
        restartTriggers = [ (builtins.hashString "sha256" trustText) ];
        serviceConfig = cp.serviceConfig cfg // {
          User = user;
          Group = group;
          ExecStart = render.systemd.execStart (getExe' cfg.package "nixfleet-control-plane") (cp.args cfg);
        };
      };

      nixfleet.persistence = cp.persistence { inherit cfg user group; };
    }
  ]);
}
