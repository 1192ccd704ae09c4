# The comms fleet's NixOS modules, one per role, written against nixpkgs'
# own module names: services.nats (JetStream, settings.http for the
# monitoring port the broker's probe reads), services.matrix-conduit (the
# homeserver of the seed, 6167 behind the TLS proxy) and, on the agents, a
# heartbeat unit. fleet.nix passes them to mkHost as `modules`; they are
# evaluated only where nixpkgs exists (a flake with nixpkgs: nixfleet's
# `lib.mkHost`), never by the builtins-only evaluation of this directory.
#
#   (import ./nixos.nix).agent { host = "agent-01"; broker = "nats://nats-01.comms.internal:4222"; revision = "r1"; }
let
  settings = import ./settings.nix;
in
{
  nats =
    {
      revision,
      nkeyUsers ? [ ],
      ...
    }:
    { ... }:
    {
      services.nats = settings.natsSettings { inherit nkeyUsers; } // {
        enable = true;
        serverName = "nats-01";
      };
      networking.firewall.allowedTCPPorts = [ settings.ports.nats ];
      # Restarts the broker when the revision changes, like any other edit.
      systemd.services.nats.environment.COMMS_REVISION = revision;
    };

  matrix =
    {
      revision,
      serverName ? "matrix.example.org",
      ...
    }:
    { ... }:
    {
      services.matrix-conduit = {
        enable = true;
        settings.global = {
          server_name = serverName;
          port = settings.ports.matrix;
          address = "127.0.0.1";
          allow_registration = false;
          database_backend = "rocksdb";
        };
      };
      systemd.services.conduit.environment.COMMS_REVISION = revision;
    };

  /**
    An agent host: its heartbeat publisher (the Hermes agent's NATS mixin)
    as a unit, reading the JSON configuration of settings.heartbeat; its
    status port answers the heartbeat-on-broker probe. `package` is the
    publisher's package (the fleet's own, not part of this example).
  */
  agent =
    {
      host,
      broker,
      revision,
      package ? null,
      ...
    }:
    { lib, ... }:
    {
      environment.etc."fleet-heartbeat/config.json".text = settings.heartbeat {
        inherit host broker revision;
      };
      systemd.services.fleet-heartbeat = lib.mkIf (package != null) {
        wantedBy = [ "multi-user.target" ];
        after = [ "network-online.target" ];
        wants = [ "network-online.target" ];
        restartTriggers = [ (settings.heartbeat { inherit host broker revision; }) ];
        serviceConfig = {
          ExecStart = "${lib.getExe package} /etc/fleet-heartbeat/config.json";
          DynamicUser = true;
          Restart = "always";
        };
      };
    };
}
