# Option declarations of services.nixfleet-agent (book §10.5), except
# `package`. Written against the module-API subset lib/schema understands
# (mkOption, mkEnableOption, types.{str,strMatching,bool,enum,ints,listOf,
# attrsOf,nullOr,anything}), so tests evaluate defaults and examples with
# nix-instantiate while _agent.nix imports the same file under nixpkgs' lib.
#
# `computed` carries defaults that depend on the NixOS configuration
# (passed by _agent.nix; tests pass fixed values).
{
  lib,
  computed ? { },
}:
let
  inherit (lib) mkEnableOption mkOption types;
  absPath = types.strMatching "/.*";
  # { default; defaultText; } from the module; required when absent.
  machineIdDefault = computed.machineId or { };
in
{
  enable = mkEnableOption "the NixFleet agent, which converges this host to the closures its control plane dispatches";

  controlPlane.url = mkOption {
    type = types.nullOr (types.strMatching "https://.+");
    default = null;
    description = "Base URL of the control plane. Agents speak mTLS only, so it must be https://. With controlPlane.urls set too, this one is tried first.";
    example = "https://cp.example.com:8443";
  };

  controlPlane.urls = mkOption {
    type = types.listOf (types.strMatching "https://.+");
    default = [ ];
    description = "Base URLs of the control plane's replicas, in the order the agent tries them (after controlPlane.url when that is set). The agent moves to the next URL when one refuses the connection, fails TLS, answers 5xx or CP_ERR_NOT_LEADER, or leaves a request unanswered. Every URL is verified against the same CA (tls.caCert).";
    example = [
      "https://cp-a.example.com:8443"
      "https://cp-b.example.com:8443"
    ];
  };

  machineId = mkOption {
    type = types.strMatching "[a-z0-9][a-z0-9._-]{0,62}";
    description = "Host name the agent reports as; must equal the CN of its client certificate and the host's name in fleet.nix.";
    example = "web-01";
  }
  // machineIdDefault;

  pollInterval = mkOption {
    type = types.ints.positive;
    default = 60;
    description = "Seconds between dispatch long-polls when the control plane answers without a dispatch.";
    example = 30;
  };

  trustFile = mkOption {
    type = absPath;
    default = "/etc/nixfleet/agent/trust.json";
    description = "Trust roots file. The module always writes /etc/nixfleet/agent/trust.json from nixfleet.trust; point this elsewhere only to use a file you manage yourself.";
    example = "/etc/nixfleet/agent/trust.json";
  };

  tls = {
    caCert = mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "CA bundle that verifies the control plane's server certificate; null uses the system trust store.";
      example = "/etc/nixfleet/fleet-ca.pem";
    };
    clientCert = mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "Client certificate (PEM). Null uses <stateDir>/tls/client.crt, which enrollment writes on first boot.";
      example = "/run/agenix/web-01-agent-cert";
    };
    clientKey = mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "Client private key (PEM), outside the Nix store. Null uses the SSH host key (sshHostKeyFile) as the TLS key.";
      example = "/run/agenix/web-01-agent-key";
    };
  };

  bootstrapTokenFile = mkOption {
    type = types.nullOr absPath;
    default = null;
    description = "Bootstrap token (from `nixfleet mint-token`) used to enroll when no client certificate exists yet; outside the Nix store.";
    example = "/var/lib/nixfleet/bootstrap-token-web-01.json";
  };

  stateDir = mkOption {
    type = absPath;
    default = "/var/lib/nixfleet-agent";
    description = "Agent state: enrolled certificate, outbound event queue, last-good manifest. Persisted on impermanent hosts.";
    example = "/var/lib/nixfleet-agent";
  };

  sshHostKeyFile = mkOption {
    type = absPath;
    default = "/etc/ssh/ssh_host_ed25519_key";
    description = "The host's OpenSSH ed25519 private key: the host identity that signs probe evidence and enrollment requests.";
    example = "/persist/etc/ssh/ssh_host_ed25519_key";
  };

  healthChecks = mkOption {
    type = types.attrsOf (types.attrsOf types.anything);
    default = { };
    description = "Host-local health probes by name, in the fleet.nix probe shape (kind = http, tcp, exec or evidence; checked against contracts/health-checks.nix at evaluation). Merged over the probes mkFleet resolved for this host and rendered to /etc/nixfleet/agent/health-checks.json.";
    example = {
      nginx = {
        kind = "http";
        url = "http://localhost/healthz";
        mode = "enforce";
      };
    };
  };

  fleetHealthChecks = mkOption {
    type = types.nullOr (types.attrsOf types.anything);
    default = null;
    internal = true;
    description = "The host's effective probe set resolved by mkFleet (health-checks.json v1). Set by mkHost when mkFleet builds the host; not meant to be set by hand.";
    example = {
      schemaVersion = 1;
      hostname = "web-01";
      probes = { };
    };
  };

  cacheUrls = mkOption {
    type = types.listOf (types.strMatching "(https?|file|s3)://.+");
    default = [ ];
    description = "Binary caches the agent copies dispatched closures from, tried in order. Defaults to services.nixfleet-cache.cacheUrl when that module is enabled.";
    example = [ "https://cache.example.com" ];
  };

  activationBackend = mkOption {
    type = types.enum [
      "nixos"
      "sandbox"
    ];
    default = "nixos";
    description = "How closures are activated: nixos switches this host; sandbox simulates a system under stateDir (tests and demos only).";
    example = "nixos";
  };

  logLevel = mkOption {
    type = types.enum [
      "fatal"
      "error"
      "warn"
      "info"
      "debug"
      "trace"
    ];
    default = "info";
    description = "Log level of the agent's JSON logs (journald).";
    example = "debug";
  };

  extraArgs = mkOption {
    type = types.listOf types.str;
    default = [ ];
    description = "Extra command-line flags appended to the agent's arguments (timing knobs such as --heartbeat-interval; see docs/nixos-modules.md).";
    example = [
      "--heartbeat-interval"
      "30s"
    ];
  };
}
