# Option declarations of services.nixfleet-control-plane (book §10.5, with
# the release source of ts/cp: one directory or base URL holding
# fleet.resolved, rollouts/, revocations and bootstrap-nonces), except
# `package`. Same module-API subset as _agent-options.nix, for the same
# reason: tests evaluate it with lib/schema.
{ lib }:
let
  inherit (lib) mkEnableOption mkOption types;
  absPath = types.strMatching "/.*";
  secretPath =
    what: example:
    mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "${what} Outside the Nix store (e.g. an agenix or sops-nix path).";
      inherit example;
    };
in
{
  enable = mkEnableOption "the NixFleet control plane, which routes CI-signed intent to the fleet's agents";

  listen = mkOption {
    type = types.str;
    default = "127.0.0.1:8443";
    description = "Address (host:port, IPv6 in brackets) the mTLS listener binds. Loopback by default; agents elsewhere need a routable address, the firewall port (openFirewall) and strict mode.";
    example = "[::]:8443";
  };

  openFirewall = mkOption {
    type = types.bool;
    default = false;
    description = "Whether to open the listen port in the firewall. Off by default so that exposing the control plane is a decision.";
    example = true;
  };

  tls = {
    cert = mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "Server certificate (PEM) presented to agents and operators.";
      example = "/run/agenix/cp-tls-cert";
    };
    key = secretPath "Server private key (PEM)." "/run/agenix/cp-tls-key";
    clientCa = mkOption {
      type = types.nullOr absPath;
      default = null;
      description = "CA bundle verifying client certificates (agents and operators); null uses fleetCaCert.";
      example = "/etc/nixfleet/fleet-ca.pem";
    };
  };

  trustFile = mkOption {
    type = absPath;
    default = "/etc/nixfleet/cp/trust.json";
    description = "Trust roots file. The module always writes /etc/nixfleet/cp/trust.json from nixfleet.trust; point this elsewhere only to use a file you manage yourself.";
    example = "/etc/nixfleet/cp/trust.json";
  };

  freshnessWindowMinutes = mkOption {
    type = types.ints.positive;
    default = 10080;
    description = "Maximum age, in minutes, of meta.signedAt on artifacts the control plane adopts (defends against replay of stale signed intent).";
    example = 2880;
  };

  confirmDeadlineSecs = mkOption {
    type = types.ints.positive;
    default = 360;
    description = "Confirm window written into dispatches: an agent that has not confirmed within it is rolled back (magic rollback). Keep it at least POLL_BUDGET + CLOCK_SKEW_SLACK (360 s).";
    example = 600;
  };

  certValidityDays = mkOption {
    type = types.ints.positive;
    default = 30;
    description = "Lifetime of agent certificates issued by enrollment and renewal.";
    example = 7;
  };

  fleetCaCert = mkOption {
    type = types.nullOr absPath;
    default = null;
    description = "Fleet CA certificate that issues agent certificates (/v1/enroll, /v1/agent/renew). Null disables enrollment.";
    example = "/etc/nixfleet/fleet-ca.pem";
  };

  fleetCaKey = secretPath "Fleet CA private key (PKCS#8 PEM) that signs agent certificates." "/run/agenix/fleet-ca-key";

  auditLogPath = mkOption {
    type = absPath;
    default = "/var/lib/nixfleet-cp/issuance.log";
    description = "Append-only log of every certificate the control plane issues.";
    example = "/var/log/nixfleet-cp/issuance.log";
  };

  dbPath = mkOption {
    type = absPath;
    default = "/var/lib/nixfleet-cp/state.db";
    description = "SQLite database (a cache: wiping it and restarting restores fleet visibility within one reconcile cycle).";
    example = "/var/lib/nixfleet-cp/state.db";
  };

  databaseUrlFile = secretPath "File holding one postgres://user[:password]@host[:port]/database URL: the control plane keeps its state in that PostgreSQL database instead of dbPath (whose directory still holds the issuance log and the release cache)." "/run/agenix/nixfleet-cp-database-url";

  advertiseUrl = mkOption {
    type = types.nullOr (types.strMatching "https://.+");
    default = null;
    description = "With databaseUrlFile (replicas): the https:// URL agents and operators reach this replica at. A follower names the leader's URL in its CP_ERR_NOT_LEADER refusals, so give each replica its own.";
    example = "https://cp-1.example.com:8443";
  };

  leaderRetrySecs = mkOption {
    type = types.nullOr types.ints.positive;
    default = null;
    description = "With databaseUrlFile (replicas): how often, in seconds, a follower tries to take the leadership and the leader checks that it still holds it; a dead leader is replaced within about twice this. null keeps the control plane's default (2 s).";
    example = 5;
  };

  releaseDir = mkOption {
    type = types.nullOr absPath;
    default = null;
    description = "Local directory of signed release artifacts (fleet.resolved.json, rollouts/, revocations.json, bootstrap-nonces.json and their .sig files), e.g. a checkout CI pushes to.";
    example = "/var/lib/nixfleet-cp/fleet/releases";
  };

  releaseSource = {
    url = mkOption {
      type = types.nullOr (types.strMatching "https?://.+");
      default = null;
      description = "Base URL serving the same layout as releaseDir, polled for new signed artifacts. flake.scopes.gitops builds it for Forgejo and Gitea.";
      example = "https://git.example.com/ops/fleet/raw/branch/main/releases/";
    };
    tokenFile = secretPath "Bearer token sent with every releaseSource request, re-read on each fetch so it can rotate without a restart." "/run/agenix/forge-read-token";
  };

  notifications = {
    nats = {
      url = mkOption {
        type = types.nullOr (types.strMatching "(nats|tls)://.+");
        default = null;
        description = "NATS server the control plane publishes rollout and host events to, on `<subjectPrefix>.<channel>.<kind>` (docs/control-plane.md \"Notifications\"). null: no NATS sink.";
        example = "nats://nats-01:4222";
      };
      subjectPrefix = mkOption {
        type = types.strMatching "[A-Za-z0-9_-]+([.][A-Za-z0-9_-]+)*";
        default = "nixfleet.events";
        description = "Subject prefix of the NATS sink (no wildcards).";
        example = "ops.nixfleet";
      };
      credsFile = secretPath "NATS credentials file (JWT and NKey seed) of the NATS sink." "/run/agenix/nats-cp.creds";
      nkeySeedFile = secretPath "NKey seed file of the NATS sink (NKey auth; instead of credsFile)." "/run/agenix/nats-cp.nk";
    };
    matrix = {
      homeserverUrl = mkOption {
        type = types.nullOr (types.strMatching "https?://.+");
        default = null;
        description = "Matrix homeserver the control plane posts to (client-server API). null: no Matrix sink.";
        example = "https://matrix.example.org";
      };
      roomId = mkOption {
        type = types.nullOr (types.strMatching "![^:]+:.+");
        default = null;
        description = "Room id (not an alias) the notifications are posted to; the access token's user must have joined it.";
        example = "!fleetops:example.org";
      };
      accessTokenFile = secretPath "Access token of the Matrix user that posts." "/run/agenix/matrix-cp-token";
    };
    webhook = {
      url = mkOption {
        type = types.nullOr (types.strMatching "https?://.+");
        default = null;
        description = "URL notifications are POSTed to as JSON signed with HMAC-SHA256 (docs/control-plane.md \"Webhook signature\"). null: no webhook sink.";
        example = "https://hooks.example.org/nixfleet";
      };
      secretFile = secretPath "Shared HMAC secret of the webhook." "/run/agenix/nixfleet-webhook-secret";
    };
    heldAfterMinutes = mkOption {
      type = types.ints.unsigned;
      default = 30;
      description = "Notify `rollout_held` when a rollout wave has not been promoted for this long (0: never).";
      example = 60;
    };
    maxAttempts = mkOption {
      type = types.ints.positive;
      default = 12;
      description = "Delivery attempts per notification and sink before it is given up (CP_ERR_NOTIFY_GAVE_UP in the log).";
      example = 20;
    };
  };

  strict = mkOption {
    type = types.bool;
    default = false;
    description = "Refuse to start without server TLS, a client CA and a release source (for the signed revocations and bootstrap nonces), and reject requests without the protocol header. Production fleets should enable it.";
    example = true;
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
    description = "Log level of the control plane's JSON logs (journald).";
    example = "debug";
  };

  extraArgs = mkOption {
    type = types.listOf types.str;
    default = [ ];
    description = "Extra flags appended to `nixfleet-control-plane serve` (timing knobs such as --reconcile-interval-secs).";
    example = [
      "--reconcile-interval-secs"
      "10"
    ];
  };
}
