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
import ./cases-cp.nix {
  inherit
    elem
    s
    eq
    mentions
    none
    truthy
    failing
    cp
    nixosTrust
    withKey
    ;
}
// {
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
