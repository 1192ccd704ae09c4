# What services.nixfleet-control-plane computes, as pure functions of the
# option values (`cfg`, without `package`): the `serve` argv (flags of
# ts/cp/config.ts), systemd settings, assertions (strict-mode inputs, paired
# options, secrets outside the store), warnings (listening beyond loopback
# without strict mode) and persistence contributions. Builtins only; the
# NixOS module (modules/scopes/nixfleet/_control-plane.nix) wires them.
let
  inherit (builtins)
    concatMap
    concatStringsSep
    elem
    filter
    fromJSON
    match
    ;
  common = import ./common.nix;
  systemd = import ./systemd.nix;

  flag = name: value: if value == null then [ ] else [ name value ];
  opt = "services.nixfleet-control-plane";
in
rec {
  /**
    Where the module materialises the control plane's trust.json.

    Type: trustPath :: string
  */
  trustPath = "/etc/nixfleet/cp/trust.json";

  /**
    The state directory the unit owns (systemd StateDirectory=).

    Type: stateDir :: string
  */
  stateDir = "/var/lib/nixfleet-cp";

  /**
    Splits a `host:port` listen address (IPv6 in brackets), as the control
    plane's --listen does; null when it does not parse.

    Type: parseListen :: string -> { host :: string, port :: int } | null

    Example: parseListen "[::1]:8443" => { host = "::1"; port = 8443; }
  */
  parseListen =
    text:
    let
      # Groups: 0 the whole host part, 1 a bracketed IPv6 address, 2 any
      # other host, 3 the port. `[[]`/`[]]` are literal brackets in POSIX ERE.
      m = match "([[]([0-9a-fA-F:]+)[]]|([^:]+)):([0-9]{1,5})" text;
      at = builtins.elemAt m;
      port = if m == null then 0 else fromJSON (at 3);
      host = if m == null then null else (if at 1 != null then at 1 else at 2);
    in
    if m == null || port > 65535 then null else { inherit host port; };

  /**
    Whether a listen host is reachable only from this machine.

    Type: isLoopback :: string -> bool

    Example: isLoopback "127.0.0.1" => true; isLoopback "0.0.0.0" => false
  */
  isLoopback =
    host: elem host [ "localhost" "::1" ] || match "127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}" host != null;

  /**
    The control plane's arguments: `serve` and its flags.

    Type: args :: cfg -> [ string ]

    Example: args cfg => [ "serve" "--listen" "127.0.0.1:8443" "--db" "/var/lib/nixfleet-cp/state.db" … ]
  */
  args =
    cfg:
    [
      "serve"
      "--listen"
      cfg.listen
      "--db"
      cfg.dbPath
      "--issuance-log"
      cfg.auditLogPath
      "--trust-file"
      cfg.trustFile
      "--artifact-freshness-minutes"
      (toString cfg.freshnessWindowMinutes)
      "--confirm-window-secs"
      (toString cfg.confirmDeadlineSecs)
      "--cert-validity-days"
      (toString cfg.certValidityDays)
      "--log-level"
      cfg.logLevel
    ]
    ++ flag "--tls-cert" cfg.tls.cert
    ++ flag "--tls-key" cfg.tls.key
    ++ flag "--client-ca" cfg.tls.clientCa
    ++ flag "--fleet-ca-cert" cfg.fleetCaCert
    ++ flag "--fleet-ca-key" cfg.fleetCaKey
    ++ flag "--database-url-file" (cfg.databaseUrlFile or null)
    ++ flag "--advertise-url" (cfg.advertiseUrl or null)
    ++ flag "--leader-retry-secs" (
      if (cfg.leaderRetrySecs or null) == null then null else toString cfg.leaderRetrySecs
    )
    ++ flag "--release-dir" cfg.releaseDir
    ++ flag "--artifact-url" cfg.releaseSource.url
    ++ flag "--artifact-token-file" cfg.releaseSource.tokenFile
    ++ notifyArgs (cfg.notifications or null)
    ++ (if cfg.strict then [ "--strict" ] else [ ])
    ++ cfg.extraArgs;

  /**
    The notification flags (docs/control-plane.md "Notifications"); none
    when no sink is configured.

    Type: notifyArgs :: attrset | null -> [ string ]
  */
  notifyArgs =
    n:
    let
      any = n != null && (n.nats.url != null || n.matrix.homeserverUrl != null || n.webhook.url != null);
    in
    if !any then
      [ ]
    else
      flag "--notify-nats-url" n.nats.url
      ++ (if n.nats.url != null then [ "--notify-nats-subject-prefix" n.nats.subjectPrefix ] else [ ])
      ++ flag "--notify-nats-creds-file" n.nats.credsFile
      ++ flag "--notify-nats-nkey-seed-file" n.nats.nkeySeedFile
      ++ flag "--notify-matrix-url" n.matrix.homeserverUrl
      ++ flag "--notify-matrix-room" n.matrix.roomId
      ++ flag "--notify-matrix-token-file" n.matrix.accessTokenFile
      ++ flag "--notify-webhook-url" n.webhook.url
      ++ flag "--notify-webhook-secret-file" n.webhook.secretFile
      ++ [
        "--notify-held-after-mins"
        (toString n.heldAfterMinutes)
        "--notify-max-attempts"
        (toString n.maxAttempts)
      ];

  /**
    Directories outside the state directory the unit must be able to write
    (a dbPath or auditLogPath placed elsewhere).

    Type: extraWritablePaths :: cfg -> [ string ]
  */
  extraWritablePaths =
    cfg:
    let
      dirs = map common.dirOf' [
        cfg.dbPath
        cfg.auditLogPath
      ];
    in
    builtins.attrNames (
      builtins.listToAttrs (
        map (d: {
          name = d;
          value = true;
        }) (filter (d: !(common.isUnder stateDir d)) dirs)
      )
    );

  /**
    systemd [Service] settings other than ExecStart and User/Group. The
    control plane needs the network, its state directory and the files it
    is given; everything else is closed.

    Type: serviceConfig :: cfg -> attrset
  */
  serviceConfig =
    cfg:
    let
      l = parseListen cfg.listen;
      privilegedPort = l != null && l.port < 1024;
      caps = if privilegedPort then [ "CAP_NET_BIND_SERVICE" ] else [ "" ];
    in
    systemd.baseHardening
    // {
      Type = "simple";
      # Crash-only is fine (SQLite WAL, one transaction per mutation); come
      # back quickly so agents' long-polls find it again.
      Restart = "on-failure";
      RestartSec = 5;
      # Graceful shutdown drains the mutator (--shutdown-deadline-secs,
      # 10 s); give it margin before SIGKILL.
      TimeoutStopSec = 30;
      StateDirectory = "nixfleet-cp";
      StateDirectoryMode = "0700";
      ProtectSystem = "strict";
      ReadWritePaths = extraWritablePaths cfg;
      PrivateDevices = true;
      ProtectKernelTunables = true;
      ProtectControlGroups = true;
      ProtectProc = "invisible";
      ProcSubset = "pid";
      RestrictNamespaces = true;
      RestrictAddressFamilies = [
        "AF_INET"
        "AF_INET6"
        "AF_UNIX"
      ];
      SystemCallArchitectures = "native";
      SystemCallFilter = [
        "@system-service"
        "~@privileged"
      ];
      # A call outside the filter fails with EPERM instead of killing the
      # process: libuv probes optional syscalls (io_uring) and falls back.
      SystemCallErrorNumber = "EPERM";
      # Only a port below 1024 needs a capability; none otherwise.
      CapabilityBoundingSet = caps;
      AmbientCapabilities = caps;
    };

  /**
    Assertions of the control-plane module, each prefixed with its option.

    Type: assertions :: { cfg, trust } -> [ { assertion; message; } ]
  */
  assertions =
    { cfg, trust }:
    let
      missing = strictMissing cfg;
    in
    [
      {
        assertion = parseListen cfg.listen != null;
        message = "${opt}.listen = \"${cfg.listen}\" is not host:port (IPv6 in brackets, e.g. \"[::]:8443\"). Fix: set it to an address and a port.";
      }
      {
        assertion = (cfg.tls.cert == null) == (cfg.tls.key == null);
        message = "${opt}.tls: cert and key go together (one is set, the other is null). Fix: set both ${opt}.tls.cert and ${opt}.tls.key, or neither.";
      }
      {
        assertion = (cfg.fleetCaCert == null) == (cfg.fleetCaKey == null);
        message = "${opt}.fleetCaCert and fleetCaKey go together: enrollment and renewal need both to issue agent certificates. Fix: set both, or neither (enrollment disabled).";
      }
      {
        assertion = (cfg.databaseUrlFile or null) == null || cfg.fleetCaKey != null;
        message = "${opt}.databaseUrlFile is set (a replica on PostgreSQL) without fleetCaCert and fleetCaKey: a follower relays requests to the leader with a certificate it issues from the fleet CA, and the control plane refuses to start without them. Fix: set ${opt}.fleetCaCert and ${opt}.fleetCaKey.";
      }
      {
        assertion = cfg.releaseSource.tokenFile == null || cfg.releaseSource.url != null;
        message = "${opt}.releaseSource.tokenFile is set but releaseSource.url is null. Fix: set ${opt}.releaseSource.url, or remove the token file.";
      }
      {
        assertion =
          let
            m = (cfg.notifications or null).matrix or null;
          in
          m == null || m.homeserverUrl == null || (m.roomId != null && m.accessTokenFile != null);
        message = "${opt}.notifications.matrix.homeserverUrl is set without roomId and accessTokenFile. Fix: set both (the control plane refuses to start otherwise), or set homeserverUrl = null.";
      }
      {
        assertion =
          let
            w = (cfg.notifications or null).webhook or null;
          in
          w == null || w.url == null || w.secretFile != null;
        message = "${opt}.notifications.webhook.url is set without secretFile: webhook bodies are always signed. Fix: set ${opt}.notifications.webhook.secretFile.";
      }
      {
        assertion =
          let
            n = (cfg.notifications or null).nats or null;
          in
          n == null || n.credsFile == null || n.nkeySeedFile == null;
        message = "${opt}.notifications.nats: credsFile and nkeySeedFile are alternatives. Fix: set one of them.";
      }
      {
        assertion = ((trust.ciReleaseKey or { }).current or null) != null;
        message = "${opt}: nixfleet.trust.ciReleaseKey.current is null, so the control plane would adopt no signed release. Fix: declare the CI release public key in nixfleet.trust.ciReleaseKey.current.";
      }
      {
        assertion = !cfg.strict || missing == [ ];
        message = "${opt}.strict = true, but the control plane would refuse to start without: ${concatStringsSep "; " missing}.";
      }
    ]
    ++ common.secretsOutsideStore {
      "${opt}.tls.key" = cfg.tls.key;
      "${opt}.fleetCaKey" = cfg.fleetCaKey;
      "${opt}.releaseSource.tokenFile" = cfg.releaseSource.tokenFile;
      "${opt}.databaseUrlFile" = cfg.databaseUrlFile or null;
    }
    ++ (
      let
        n = cfg.notifications or null;
      in
      if n == null then
        [ ]
      else
        common.secretsOutsideStore {
          "${opt}.notifications.nats.credsFile" = n.nats.credsFile;
          "${opt}.notifications.nats.nkeySeedFile" = n.nats.nkeySeedFile;
          "${opt}.notifications.matrix.accessTokenFile" = n.matrix.accessTokenFile;
          "${opt}.notifications.webhook.secretFile" = n.webhook.secretFile;
        }
    );

  /**
    What strict mode needs and is unset (mirrors strictViolations in
    ts/cp/config.ts, phrased as option paths).

    Type: strictMissing :: cfg -> [ string ]
  */
  strictMissing =
    cfg:
    concatMap (c: if c.ok then [ ] else [ c.what ]) [
      {
        ok = cfg.tls.cert != null && cfg.tls.key != null;
        what = "${opt}.tls.cert and tls.key";
      }
      {
        ok = cfg.tls.clientCa != null || cfg.fleetCaCert != null;
        what = "${opt}.tls.clientCa (or fleetCaCert) to verify agent certificates";
      }
      {
        ok = cfg.releaseDir != null || cfg.releaseSource.url != null;
        what = "${opt}.releaseDir or releaseSource.url (source of the signed revocations and bootstrap-nonces sidecars)";
      }
    ];

  /**
    Warnings of the control-plane module; each names the option that
    silences it.

    Type: warnings :: cfg -> [ string ]
  */
  warnings =
    cfg:
    let
      l = parseListen cfg.listen;
    in
    (
      if l != null && !cfg.strict && !(isLoopback l.host) then
        [
          "${opt}.listen = \"${cfg.listen}\" exposes the control plane beyond loopback while ${opt}.strict = false: a missing client CA or revocations source would only be logged. Set ${opt}.strict = true (production fleets should) to make the control plane refuse to start instead; that also silences this warning."
        ]
      else
        [ ]
    )
    ++ (
      if cfg.confirmDeadlineSecs < 360 then
        [
          "${opt}.confirmDeadlineSecs = ${toString cfg.confirmDeadlineSecs} is below the agents' activation budget plus clock-skew slack (300 s + 60 s): healthy but slow activations would be rolled back. Set ${opt}.confirmDeadlineSecs to at least 360 unless the agents' --poll-budget is shortened too."
        ]
      else
        [ ]
    );

  /**
    What the control plane adds to the persistence contract. Its database
    is a cache (rebuilt from agents and signed artifacts), but the issuance
    log and unexpired token nonces are worth keeping across reboots.

    Type: persistence :: { cfg, user, group } -> { directories :: [ attrset ]; files :: [ string ]; }
  */
  persistence =
    {
      cfg,
      user,
      group,
    }:
    {
      directories = map (d: {
        directory = d;
        inherit user group;
        mode = "0700";
      }) ([ stateDir ] ++ extraWritablePaths cfg);
      files = [ ];
    };

}
