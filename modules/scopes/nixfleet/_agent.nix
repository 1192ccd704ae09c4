# services.nixfleet-agent: the per-host agent as a systemd service (book
# §10.5). Owns the unit, /etc/nixfleet/agent/{trust,health-checks}.json and
# the agent's persistence contribution. Every computed value (argv, unit
# settings, assertions, warnings, rendered files) comes from
# lib/render/agent.nix and lib/render/health-checks.nix; this file only
# wires them. Never puts a secret in the store: keys and tokens are paths.
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
  cfg = config.services.nixfleet-agent;
  render = import ../../../lib/render;

  health = render.healthChecks.render {
    hostName = cfg.machineId;
    fleet = cfg.fleetHealthChecks;
    local = cfg.healthChecks;
  };
  trustText = builtins.toJSON config.nixfleet.trustJson;
  healthText = builtins.toJSON health.value;
in
{
  imports = [
    ./_trust-json.nix
    ./_cache.nix
    ../../../contracts/persistence.nix
  ];

  # Declarations live in _agent-options.nix so tests can evaluate them
  # without nixpkgs; only `package` needs nixpkgs' types.
  options.services.nixfleet-agent =
    import ./_agent-options.nix {
      inherit lib;
      computed.machineId = {
        default = config.networking.hostName;
        defaultText = literalExpression "config.networking.hostName";
      };
    }
    // {
      package = mkOption {
        type = types.package;
        default = (import ../../../nix/packages { inherit pkgs; }).nixfleet-agent;
        defaultText = literalExpression "nixfleet.packages.\${pkgs.stdenv.hostPlatform.system}.nixfleet-agent";
        description = "Package providing bin/nixfleet-agent (escape hatch for harnesses and vendored builds).";
        example = literalExpression "nixfleet.packages.x86_64-linux.nixfleet-agent";
      };
    };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = render.agent.assertions {
        inherit cfg;
        inherit (config.nixfleet) trust;
        healthErrors = health.errors;
      };
      warnings = render.agent.warnings cfg ++ health.warnings;
    }

    {
      environment.etc."nixfleet/agent/trust.json".text = trustText;
      environment.etc."nixfleet/agent/health-checks.json".text = healthText;

      systemd.services.nixfleet-agent = {
        description = "NixFleet agent";
        wantedBy = [ "multi-user.target" ];
        # Enrollment and TLS need the network and a clock that is not before
        # the certificates' notBefore.
        wants = [
          "network-online.target"
          "time-sync.target"
        ];
        after = [
          "network-online.target"
          "time-sync.target"
        ];
        # nix-env and nix copy (activation), systemd-run, systemctl and
        # journalctl (the detached switch and its status).
        path = [
          config.nix.package
          config.systemd.package
        ];
        # Trust roots are read once at start; a new trust.json needs a
        # restart. Probe sets are re-read after each activation instead.
        restartTriggers = [ (builtins.hashString "sha256" trustText) ];
        serviceConfig = render.agent.serviceConfig cfg // {
          ExecStart = render.systemd.execStart (getExe' cfg.package "nixfleet-agent") (render.agent.args cfg);
        };
      };

      nixfleet.persistence = render.agent.persistence cfg;
    }

    (mkIf config.services.nixfleet-cache.enable {
      services.nixfleet-agent.cacheUrls = mkDefault [ config.services.nixfleet-cache.cacheUrl ];
    })
  ]);
}
