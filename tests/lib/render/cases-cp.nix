# The control plane's cases of lib/render (argv, listen, warnings,
# assertions, unit settings), merged into cases.nix. Run: bash tests/lib/render/run.sh
{
  elem,
  s,
  eq,
  mentions,
  none,
  truthy,
  failing,
  cp,
  nixosTrust,
  withKey,
}:
{
  cp-argv-minimal = eq s.argv.cp.minimal [
    "serve"
    "--listen"
    "127.0.0.1:8443"
    "--db"
    "/var/lib/nixfleet-cp/state.db"
    "--issuance-log"
    "/var/lib/nixfleet-cp/issuance.log"
    "--trust-file"
    "/etc/nixfleet/cp/trust.json"
    "--artifact-freshness-minutes"
    "10080"
    "--confirm-window-secs"
    "360"
    "--cert-validity-days"
    "30"
    "--log-level"
    "info"
  ];
  cp-argv-strict = truthy (
    let
      v = s.argv.cp.strict;
    in
    elem "--strict" v && elem "--artifact-token-file" v && elem "--fleet-ca-key" v && elem "--client-ca" v
  ) "strict sample must pass --strict, --artifact-token-file, --fleet-ca-key and --client-ca";
  cp-argv-release-dir = truthy (elem "/srv/fleet/releases" s.argv.cp.releaseDir) "--release-dir must be passed";
  cp-listen-v4 = eq (cp.parseListen "0.0.0.0:8443") {
    host = "0.0.0.0";
    port = 8443;
  };
  cp-listen-v6 = eq (cp.parseListen "[::1]:443") {
    host = "::1";
    port = 443;
  };
  cp-listen-bad = eq (map cp.parseListen [ "8443" "host:99999" "[::1]" ]) [ null null null ];
  cp-loopback = eq (map cp.isLoopback [ "127.0.0.1" "127.8.0.1" "::1" "localhost" "0.0.0.0" "::" "10.0.0.1" ]) [
    true
    true
    true
    true
    false
    false
    false
  ];
  cp-warn-exposed-not-strict = mentions (cp.warnings (s.cp.minimal // { listen = "0.0.0.0:8443"; })) [
    "services.nixfleet-control-plane.listen"
    "services.nixfleet-control-plane.strict = true"
  ];
  cp-warn-v6-any = mentions (cp.warnings s.cp.releaseDir) [ "beyond loopback" ];
  cp-warn-loopback-none = none (cp.warnings s.cp.minimal);
  cp-warn-strict-none = none (cp.warnings s.cp.strict);
  cp-warn-short-confirm = mentions (cp.warnings (s.cp.minimal // { confirmDeadlineSecs = 120; })) [ "confirmDeadlineSecs = 120" ];
  cp-assert-strict-ok = none (failing (cp.assertions {
    cfg = s.cp.strict;
    trust = withKey;
  }));
  cp-assert-strict-missing = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // { strict = true; };
    trust = withKey;
  })) [ "strict = true" "tls.cert" "releaseDir or releaseSource.url" ];
  cp-assert-half-tls = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // {
      tls = s.cp.minimal.tls // {
        cert = "/run/c";
      };
    };
    trust = withKey;
  })) [ "services.nixfleet-control-plane.tls" ];
  cp-assert-half-ca = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // { fleetCaKey = "/run/k"; };
    trust = withKey;
  })) [ "fleetCaCert and fleetCaKey" ];
  cp-assert-ca-key-in-store = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // {
      fleetCaCert = "/etc/ca.pem";
      fleetCaKey = "/nix/store/abc-ca.key";
    };
    trust = withKey;
  })) [ "services.nixfleet-control-plane.fleetCaKey" ];
  cp-assert-bad-listen = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // { listen = "8443"; };
    trust = withKey;
  })) [ "listen" ];
  cp-assert-no-release-key = mentions (failing (cp.assertions {
    cfg = s.cp.minimal;
    trust = nixosTrust { };
  })) [ "ciReleaseKey.current" ];
  cp-notify-none = eq (cp.notifyArgs s.cp.minimal.notifications) [ ];
  cp-notify-args = eq (cp.notifyArgs s.cp.notify.notifications) [
    "--notify-nats-url"
    "nats://nats-01:4222"
    "--notify-nats-subject-prefix"
    "nixfleet.events"
    "--notify-nats-nkey-seed-file"
    "/run/agenix/nats-cp.nk"
    "--notify-matrix-url"
    "https://matrix.example.org"
    "--notify-matrix-room"
    "!fleetops:example.org"
    "--notify-matrix-token-file"
    "/run/agenix/matrix-cp-token"
    "--notify-webhook-url"
    "https://hooks.example.org/nixfleet"
    "--notify-webhook-secret-file"
    "/run/agenix/nixfleet-webhook-secret"
    "--notify-held-after-mins"
    "45"
    "--notify-max-attempts"
    "12"
  ];
  cp-assert-webhook-without-secret = mentions (failing (cp.assertions {
    cfg = s.cp.notify // {
      notifications = s.cp.notify.notifications // {
        webhook = s.cp.notify.notifications.webhook // { secretFile = null; };
      };
    };
    trust = withKey;
  })) [ "notifications.webhook.secretFile" ];
  cp-assert-matrix-without-room = mentions (failing (cp.assertions {
    cfg = s.cp.notify // {
      notifications = s.cp.notify.notifications // {
        matrix = s.cp.notify.notifications.matrix // { roomId = null; };
      };
    };
    trust = withKey;
  })) [ "notifications.matrix.homeserverUrl" ];
  cp-assert-notify-secret-in-store = mentions (failing (cp.assertions {
    cfg = s.cp.notify // {
      notifications = s.cp.notify.notifications // {
        webhook = s.cp.notify.notifications.webhook // { secretFile = "/nix/store/abc-secret"; };
      };
    };
    trust = withKey;
  })) [ "notifications.webhook.secretFile" ];
  cp-notify-sample-passes = eq (failing (cp.assertions { cfg = s.cp.notify; trust = withKey; })) [ ];
  cp-database-url-file-renders = truthy (
    let
      argv = cp.args (s.cp.minimal // { databaseUrlFile = "/run/agenix/cp-db-url"; });
    in
    elem "--database-url-file" argv && elem "/run/agenix/cp-db-url" argv
  ) "databaseUrlFile renders --database-url-file <path>";
  cp-no-database-url-file-by-default = truthy (
    !(elem "--database-url-file" (cp.args s.cp.minimal))
  ) "no databaseUrlFile: SQLite, no --database-url-file";
  cp-assert-database-url-in-store = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // { databaseUrlFile = "/nix/store/abc-db-url"; };
    trust = withKey;
  })) [ "services.nixfleet-control-plane.databaseUrlFile" "Nix store" ];
  cp-assert-replica-without-ca = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // { databaseUrlFile = "/run/agenix/cp-db-url"; };
    trust = withKey;
  })) [ "databaseUrlFile" "fleetCaKey" ];
  cp-replica-with-ca-passes = eq (failing (cp.assertions {
    cfg = s.cp.minimal // {
      databaseUrlFile = "/run/agenix/cp-db-url";
      fleetCaCert = "/etc/nixfleet/fleet-ca.pem";
      fleetCaKey = "/run/agenix/fleet-ca-key";
    };
    trust = withKey;
  })) [ ];
  cp-assert-token-without-url = mentions (failing (cp.assertions {
    cfg = s.cp.minimal // {
      releaseSource = {
        url = null;
        tokenFile = "/run/t";
      };
    };
    trust = withKey;
  })) [ "releaseSource.tokenFile" ];
  cp-unit-default = eq {
    inherit (cp.serviceConfig s.cp.minimal)
      ProtectSystem
      StateDirectory
      CapabilityBoundingSet
      ReadWritePaths
      NoNewPrivileges
      MemoryDenyWriteExecute
      ;
  } {
    ProtectSystem = "strict";
    StateDirectory = "nixfleet-cp";
    CapabilityBoundingSet = [ "" ];
    ReadWritePaths = [ ];
    NoNewPrivileges = true;
    MemoryDenyWriteExecute = false;
  };
  cp-unit-low-port = eq (cp.serviceConfig s.cp.releaseDir).AmbientCapabilities [ "CAP_NET_BIND_SERVICE" ];
  cp-unit-paths-outside = eq (cp.serviceConfig s.cp.releaseDir).ReadWritePaths [ "/srv/cp" "/var/log/nixfleet-cp" ];
  cp-persistence = eq (map (d: d.directory) (cp.persistence {
    cfg = s.cp.releaseDir;
    user = "nixfleet-cp";
    group = "nixfleet-cp";
  }).directories) [ "/var/lib/nixfleet-cp" "/srv/cp" "/var/log/nixfleet-cp" ];

  # ------------------------------------------------------------ systemd, host
}
