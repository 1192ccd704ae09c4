# Unit cases of lib/render, evaluated with the modules' real option
# declarations (samples.nix). Run: bash tests/lib/render/run.sh
let
  inherit (builtins) elem filter length;
  schema = import ../../../lib/schema;
  render = import ../../../lib/render;
  s = import ./samples.nix;
  t = import ../support/cases.nix;
  inherit (t)
    eq
    throws
    mentions
    none
    truthy
    failing
    ;

  a = render.agent;
  cp = render.controlPlane;
  hc = render.healthChecks;
  tj = render.trustJson;

  key = {
    algorithm = "ed25519";
    public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
  };
  p256 = {
    algorithm = "ecdsa-p256";
    public = "mfOqWgQxbvnF8GQO0uPyJ7Ip8WVQGhv3TbXkzZj7LJ5bhW4n2tsYpvPf7m5Fq3rCPj3sZ4Ej0yVq0eEwB9xqUg==";
  };

  # nixfleet.trust exactly as NixOS hands it over: contracts/trust.nix with
  # its defaults filled (every slot field present, null when unset).
  trustContract = schema.loadContract ../../../contracts/trust.nix;
  nixosTrust = v: (schema.check "sample nixfleet.trust" trustContract { nixfleet.trust = v; }).nixfleet.trust;
  trustJsonContract = schema.loadContract ../../../contracts/trust-json.nix;
  validTrustJson = v: schema.validate trustJsonContract v;

  withKey = nixosTrust { ciReleaseKey.current = key; };
  healthContract = schema.loadContract ../../../contracts/health-checks.nix;

  fleetProbes = {
    schemaVersion = 1;
    hostname = "web-01";
    probes.heartbeat = {
      kind = "http";
      url = "http://localhost/healthz";
      expectStatus = 200;
      bodyContains = null;
      timeoutSecs = 3;
      intervalSeconds = 30;
      mode = "observe";
    };
  };
  merged = hc.render {
    hostName = "web-01";
    fleet = fleetProbes;
    local = {
      heartbeat = {
        kind = "tcp";
        host = "127.0.0.1";
        port = 22;
      };
      disk = {
        kind = "exec";
        command = "/run/current-system/sw/bin/true";
        mode = "observe";
      };
    };
  };
  bad = hc.render {
    hostName = "web-01";
    local.broken = {
      kind = "http";
      mode = "sometimes";
    };
  };
in
{
  # --------------------------------------------------------------- agent argv
  agent-argv-minimal = eq s.argv.agent.minimal [
    "--control-plane-url"
    "https://cp.example.com:8443"
    "--machine-id"
    "web-01"
    "--poll-interval"
    "60s"
    "--trust-file"
    "/etc/nixfleet/agent/trust.json"
    "--state-dir"
    "/var/lib/nixfleet-agent"
    "--ssh-host-key-file"
    "/etc/ssh/ssh_host_ed25519_key"
    "--health-checks-config"
    "/etc/nixfleet/agent/health-checks.json"
    "--activation-backend"
    "nixos"
    "--log-level"
    "info"
  ];
  # The sandbox backend reads the running closure's probe file itself.
  agent-argv-sandbox-probes = eq (elem "--health-checks-config" s.argv.agent.sandbox) false;
  agent-argv-tls-and-token = truthy (
    let
      v = s.argv.agent.full;
    in
    elem "--client-key" v && elem "/run/agenix/db-01-key" v && elem "--bootstrap-token-file" v && elem "--ca-cert" v
  ) "full sample must pass --ca-cert, --client-key and --bootstrap-token-file";
  agent-argv-caches-comma-joined = truthy (elem "https://cache.example.com,file:///srv/cache" s.argv.agent.full) "cacheUrls must be one --cache-url value, comma-joined";
  agent-argv-extra-last = eq (builtins.elemAt s.argv.agent.full (length s.argv.agent.full - 1)) "30s";
  agent-argv-no-nulls = none (filter (x: !(builtins.isString x)) (s.argv.agent.minimal ++ s.argv.agent.full));
  agent-option-rejects-http = mentions (schema.validate s.agentOptions {
    controlPlane.url = "http://cp:8080";
  }) [ "controlPlane.url" ];
  agent-option-rejects-relative-state = mentions (schema.validate s.agentOptions {
    controlPlane.url = "https://cp";
    stateDir = "state";
  }) [ "stateDir" ];

  # --------------------------------------------------------------- agent unit
  agent-unit-restart = eq {
    inherit (a.serviceConfig s.agent.minimal) Restart RestartSec NoNewPrivileges StateDirectory ProtectSystem;
  } {
    Restart = "always";
    RestartSec = 30;
    NoNewPrivileges = true;
    StateDirectory = "nixfleet-agent";
    ProtectSystem = "full";
  };
  agent-unit-state-outside-var-lib = eq ((a.serviceConfig s.agent.full).ReadWritePaths or null) [ "/persist/nixfleet-agent" ];
  agent-unit-execstart-quoting = eq (render.systemd.execStart "/bin/agent" [
    "--state-dir"
    "/var/lib/nixfleet-agent/harness dir"
  ]) ''/bin/agent "--state-dir" "/var/lib/nixfleet-agent/harness dir"'';
  agent-persistence = eq (a.persistence s.agent.minimal).directories [
    {
      directory = "/var/lib/nixfleet-agent";
      mode = "0700";
    }
  ];

  # ------------------------------------------------------- agent assertions
  agent-assert-ok = none (failing (a.assertions {
    cfg = s.agent.full;
    trust = withKey;
  }));
  agent-assert-no-release-key = mentions (failing (a.assertions {
    cfg = s.agent.minimal;
    trust = nixosTrust { };
  })) [ "nixfleet.trust.ciReleaseKey.current" ];
  agent-assert-key-in-store = mentions (failing (a.assertions {
    cfg = s.agent.minimal // {
      tls = s.agent.minimal.tls // {
        clientCert = "/run/c";
        clientKey = "/nix/store/aaaa-key.pem";
      };
    };
    trust = withKey;
  })) [ "services.nixfleet-agent.tls.clientKey" "Nix store" ];
  agent-assert-key-without-cert = mentions (failing (a.assertions {
    cfg = s.agent.minimal // {
      tls = s.agent.minimal.tls // {
        clientKey = "/run/k";
      };
    };
    trust = withKey;
  })) [ "tls.clientCert" ];
  agent-assert-health-errors = mentions (failing (a.assertions {
    cfg = s.agent.minimal;
    trust = withKey;
    healthErrors = bad.errors;
  })) [ "services.nixfleet-agent.healthChecks" ];
  agent-warn-sandbox = mentions (a.warnings s.agent.sandbox) [ "activationBackend" "nixos" ];
  agent-warn-none = none (a.warnings s.agent.minimal);

  # ------------------------------------------------------------ health checks
  health-defaults = eq
    (hc.render {
      hostName = "web-01";
      local.nginx = {
        kind = "http";
        url = "http://localhost/";
      };
    }).value.probes.nginx
    {
      kind = "http";
      url = "http://localhost/";
      expectStatus = 200;
      bodyContains = null;
      jsonKey = null;
      timeoutSecs = 3;
      intervalSeconds = 30;
      mode = "enforce";
    };
  health-merge-local-wins = eq merged.value.probes.heartbeat.kind "tcp";
  health-merge-keeps-both = eq (builtins.attrNames merged.value.probes) [ "disk" "heartbeat" ];
  health-merge-valid = none (merged.errors ++ schema.validate healthContract merged.value);
  health-shadow-warns = mentions merged.warnings [ "services.nixfleet-agent.healthChecks.heartbeat" "web-01" ];
  health-empty = eq (hc.render { hostName = "web-01"; }).value {
    schemaVersion = 1;
    hostname = "web-01";
    probes = { };
  };
  health-invalid-paths = mentions bad.errors [ "services.nixfleet-agent.healthChecks.broken" ];
  health-wrong-host = mentions (hc.render {
    hostName = "db-01";
    fleet = fleetProbes;
  }).errors [ "fleetHealthChecks" "web-01" "db-01" ];
  health-from-mkfleet =
    let
      sup = import ../mk-fleet/support.nix;
      fleet = (import ../../../lib).mkFleet {
        hosts.web-01 = sup.host "web-01" {
          channel = "stable";
          healthChecks.ssh = {
            kind = "tcp";
            host = "127.0.0.1";
            port = 22;
          };
        };
        healthChecks.heartbeat = {
          kind = "http";
          url = "http://localhost/healthz";
          mode = "observe";
        };
        channels.stable = {
          rolloutPolicy = "all";
          freshnessWindow = 1440;
        };
        rolloutPolicies.all.strategy = "all-at-once";
      };
      r = hc.render {
        hostName = "web-01";
        fleet = fleet.healthChecks.web-01;
      };
    in
    eq {
      errors = r.errors;
      names = builtins.attrNames r.value.probes;
    } {
      errors = [ ];
      names = [ "heartbeat" "ssh" ];
    };

  # --------------------------------------------------------------- trust.json
  trust-empty = eq (tj.render (nixosTrust { })) {
    schemaVersion = 1;
    ciReleaseKey = {
      current = null;
      previous = null;
      rejectBefore = null;
      successor = null;
      retireAt = null;
    };
    cacheKeys = [ ];
    orgRootKey = null;
  };
  trust-full-valid =
    let
      v = tj.render (nixosTrust {
        ciReleaseKey = {
          current = p256;
          previous = key;
          retireAt = "2026-02-01T00:00:00Z";
          rejectBefore = "2025-01-01T00:00:00Z";
        };
        cacheKeys = [ "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
        orgRootKey.current = key;
      });
    in
    eq {
      errors = validTrustJson v;
      inherit (v) schemaVersion;
      org = v.orgRootKey;
    } {
      errors = [ ];
      schemaVersion = 1;
      org = {
        current = key;
        previous = null;
        rejectBefore = null;
        successor = null;
        retireAt = null;
      };
    };
  trust-sparse-input = eq (tj.render { ciReleaseKey.current = key; }).ciReleaseKey.successor null;
  trust-drops-extra-fields = eq (tj.render { ciReleaseKey.current = key // { comment = "x"; }; }).ciReleaseKey.current key;
  trust-bad-key-throws = throws (tj.render {
    ciReleaseKey.current = {
      algorithm = "rsa";
      public = "x";
    };
  });
  trust-org-p256-problem = mentions (tj.problems (nixosTrust { orgRootKey.current = p256; })) [ "nixfleet.trust.orgRootKey" "ed25519" ];
  trust-org-ok = none (tj.problems (nixosTrust { orgRootKey.current = key; }));
  trust-has-release-key = eq [ (tj.hasReleaseKey withKey) (tj.hasReleaseKey (nixosTrust { })) ] [ true false ];

  # ------------------------------------------------------------ control plane
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
  escape-percent-dollar = eq (render.systemd.escapeExecArg "100% $HOME") ''"100%% $$HOME"'';
  escape-quote = eq (render.systemd.escapeExecArg ''a"b\c'') ''"a\"b\\c"'';
  escape-int = eq (render.systemd.escapeExecArg 8443) ''"8443"'';
  state-directory-name = eq (map render.common.stateDirectoryName [ "/var/lib/nixfleet-agent" "/var/lib/a/b" "/persist/x" ]) [
    "nixfleet-agent"
    "a/b"
    null
  ];
  host-identity-plain = eq (render.host.identity "web-01") {
    hostName = "web-01";
    domain = null;
  };
  host-identity-dotted = eq (render.host.identity "db-01.paris.example") {
    hostName = "db-01";
    domain = "paris.example";
  };
}
