# Sample option values for services.nixfleet-agent and
# services.nixfleet-control-plane, with defaults filled by evaluating the
# modules' real option declarations (modules/scopes/nixfleet/_*-options.nix)
# through lib/schema: the same values NixOS would hand the renderers.
# Shared by cases.nix and tests/modules/rendered-args.test.ts, which feeds
# the rendered argv to the binaries' own flag parsers.
#
#   nix-instantiate --eval --strict --json tests/lib/render/samples.nix -A argv
let
  schema = import ../../../lib/schema;
  render = import ../../../lib/render;

  optionsType =
    file: args:
    schema.lib.types.submodule {
      options = import file ({ lib = schema.lib; } // args);
    };

  agentOptions = optionsType ../../../modules/scopes/nixfleet/_agent-options.nix {
    computed.machineId.default = "web-01";
  };
  cpOptions = optionsType ../../../modules/scopes/nixfleet/_control-plane-options.nix { };

  agentCfg = schema.check "sample services.nixfleet-agent" agentOptions;
  cpCfg = schema.check "sample services.nixfleet-control-plane" cpOptions;

  agent = {
    minimal = agentCfg {
      enable = true;
      controlPlane.url = "https://cp.example.com:8443";
    };
    full = agentCfg {
      enable = true;
      controlPlane.url = "https://cp.example.com:8443";
      machineId = "db-01.paris";
      pollInterval = 15;
      tls = {
        caCert = "/etc/nixfleet/fleet-ca.pem";
        clientCert = "/run/agenix/db-01-cert";
        clientKey = "/run/agenix/db-01-key";
      };
      bootstrapTokenFile = "/var/lib/nixfleet/bootstrap-token-db-01.json";
      stateDir = "/persist/nixfleet-agent";
      sshHostKeyFile = "/persist/etc/ssh/ssh_host_ed25519_key";
      cacheUrls = [
        "https://cache.example.com"
        "file:///srv/cache"
      ];
      logLevel = "debug";
      extraArgs = [
        "--heartbeat-interval"
        "30s"
      ];
    };
    sandbox = agentCfg {
      enable = true;
      controlPlane.url = "https://127.0.0.1:8443";
      activationBackend = "sandbox";
      stateDir = "/var/lib/nixfleet-agent/harness dir";
    };
  };

  cp = {
    minimal = cpCfg { enable = true; };
    strict = cpCfg {
      enable = true;
      listen = "[::]:8443";
      openFirewall = true;
      tls = {
        cert = "/run/agenix/cp-cert";
        key = "/run/agenix/cp-key";
        clientCa = "/etc/nixfleet/fleet-ca.pem";
      };
      fleetCaCert = "/etc/nixfleet/fleet-ca.pem";
      fleetCaKey = "/run/agenix/fleet-ca-key";
      releaseSource = {
        url = "https://git.example.com/ops/fleet/raw/branch/main/releases/";
        tokenFile = "/run/agenix/forge-token";
      };
      freshnessWindowMinutes = 2880;
      confirmDeadlineSecs = 600;
      certValidityDays = 7;
      strict = true;
      extraArgs = [
        "--reconcile-interval-secs"
        "10"
      ];
    };
    notify = cpCfg {
      enable = true;
      notifications = {
        nats = {
          url = "nats://nats-01:4222";
          nkeySeedFile = "/run/agenix/nats-cp.nk";
        };
        matrix = {
          homeserverUrl = "https://matrix.example.org";
          roomId = "!fleetops:example.org";
          accessTokenFile = "/run/agenix/matrix-cp-token";
        };
        webhook = {
          url = "https://hooks.example.org/nixfleet";
          secretFile = "/run/agenix/nixfleet-webhook-secret";
        };
        heldAfterMinutes = 45;
      };
    };
    releaseDir = cpCfg {
      enable = true;
      listen = "10.0.0.1:443";
      releaseDir = "/srv/fleet/releases";
      dbPath = "/srv/cp/state.db";
      auditLogPath = "/var/log/nixfleet-cp/issuance.log";
    };
  };
in
{
  inherit
    agentOptions
    cpOptions
    agent
    cp
    ;
  # What the binaries are started with (ExecStart minus the program).
  argv = {
    agent = builtins.mapAttrs (_: render.agent.args) agent;
    cp = builtins.mapAttrs (_: render.controlPlane.args) cp;
  };
}
