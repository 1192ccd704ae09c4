# The comms fleet's service settings, builtins only: what each host's
# services are configured with, rendered the way the NixOS modules render
# them. fleet.nix gives the same values to the nixpkgs modules
# (services.nats, services.matrix-conduit) through mkHost; the harness's
# comms-* scenarios (tests/harness/nix/comms.nix) run them for real.
#
#   (import ./settings.nix).nats { revision = "r1"; }
let
  inherit (builtins) concatStringsSep map toJSON;
in
rec {
  # Ports of the seed (Phase 1 and 2): clients on 4222, the homeserver on 6167.
  ports = {
    nats = 4222;
    natsMonitoring = 8222;
    matrix = 6167;
    heartbeatStatus = 9464;
  };

  /**
    The broker's liveness probe. `/healthz` alone also checks every JetStream
    stream and consumer is current, which after a restart legitimately fails
    for as long as the file store takes to recover (minutes for a large
    stream): as a liveness probe it would fail every restart and roll back
    good changes. `js-enabled-only=true` answers once the server is up and
    JetStream is enabled, which is what a rollout must know.
  */
  natsProbe = {
    kind = "http";
    url = "http://127.0.0.1:${toString ports.natsMonitoring}/healthz?js-enabled-only=true";
    expectStatus = 200;
    intervalSeconds = 10;
    mode = "enforce";
  };

  /** The homeserver answers the client API: 200 with a JSON `versions` key. */
  matrixProbe = {
    kind = "http";
    url = "http://127.0.0.1:${toString ports.matrix}/_matrix/client/versions";
    expectStatus = 200;
    jsonKey = "versions";
    intervalSeconds = 10;
    mode = "enforce";
  };

  /**
    The agent's heartbeat reaches the broker: the heartbeat publisher
    answers 200 on its status port only while its last heartbeat was
    confirmed by the broker (publish, then a PING/PONG round trip on the same
    connection, which the server answers only after processing the publish)
    less than three intervals ago; 503 otherwise (broker unreachable, wrong
    URL, refused).
  */
  heartbeatProbe = {
    kind = "http";
    url = "http://127.0.0.1:${toString ports.heartbeatStatus}/heartbeat";
    expectStatus = 200;
    jsonKey = "confirmedAt";
    intervalSeconds = 10;
    mode = "enforce";
  };

  /**
    nats-server's configuration file (nats.conf syntax, as services.nats
    renders `settings`). JetStream file store under `$NATS_STORE_DIR`
    (the unit's environment: /var/lib/nats on a host); `nkeyUsers` are the
    users' public NKeys (U…); an empty list leaves the broker open on the
    fleet's private network.
  */
  nats =
    {
      revision,
      serverName ? "nats-01",
      listen ? "0.0.0.0:${toString ports.nats}",
      nkeyUsers ? [ ],
      maxFileStore ? 536870912,
    }:
    concatStringsSep "\n" (
      [
        "# revision ${revision}"
        "server_name: ${toJSON serverName}"
        "listen: ${toJSON listen}"
        "http: \"127.0.0.1:${toString ports.natsMonitoring}\""
        "jetstream {"
        "  store_dir: $NATS_STORE_DIR"
        "  max_file_store: ${toString maxFileStore}"
        "}"
      ]
      ++ (
        if nkeyUsers == [ ] then
          [ ]
        else
          [ "authorization { users = [ ${concatStringsSep ", " (map (k: "{ nkey: ${toJSON k} }") nkeyUsers)} ] }" ]
      )
      ++ [ "" ]
    );

  /** services.nats.settings for the same configuration (the NixOS side). */
  natsSettings =
    {
      nkeyUsers ? [ ],
      maxFileStore ? 536870912,
      ...
    }:
    {
      port = ports.nats;
      jetstream = true;
      settings = {
        http = "127.0.0.1:${toString ports.natsMonitoring}";
        jetstream.max_file_store = maxFileStore;
      }
      // (if nkeyUsers == [ ] then { } else { authorization.users = map (k: { nkey = k; }) nkeyUsers; });
    };

  /** The heartbeat publisher's configuration (JSON) on an agent host. */
  heartbeat =
    {
      host,
      broker,
      revision,
      intervalMs ? 30000,
    }:
    toJSON {
      inherit host revision intervalMs;
      servers = [ broker ];
      subject = "fleet.heartbeat.${host}";
      statusPort = ports.heartbeatStatus;
      # Confirmed less than three intervals ago, or the status says 503.
      staleAfterMs = 3 * intervalMs;
    };

  /** What GET /_matrix/client/versions answers (the spec versions served). */
  matrixVersions = {
    versions = [
      "v1.1"
      "v1.11"
    ];
    unstable_features = { };
  };
}
