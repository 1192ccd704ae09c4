# What services.nixfleet-agent computes, as pure functions of the option
# values (`cfg`, without `package`): the agent's argv, its systemd settings,
# assertions, warnings and persistence contributions. The NixOS module
# (modules/scopes/nixfleet/_agent.nix) only wires these into options; tests
# feed the same argv to the agent's real flag parser (tests/modules/).
# Builtins only. Never reads secrets: every key, certificate and token is
# passed as a path.
let
  inherit (builtins) concatStringsSep;
  common = import ./common.nix;
  systemd = import ./systemd.nix;
  healthChecks = import ./health-checks.nix;

  flag = name: value: if value == null then [ ] else [ name value ];

  # controlPlane.url first, then controlPlane.urls without repeating it.
  cpUrls =
    cfg:
    let
      first = if cfg.controlPlane.url == null then [ ] else [ cfg.controlPlane.url ];
    in
    first ++ builtins.filter (u: !(builtins.elem u first)) cfg.controlPlane.urls;
in
{
  /**
    Where the module materialises the agent's trust.json.

    Type: trustPath :: string
  */
  trustPath = "/etc/nixfleet/agent/trust.json";

  inherit (healthChecks) path;

  /**
    The agent's arguments (flags of ts/agent/config/config.ts); every value
    explicit so the unit documents what runs.

    Type: args :: cfg -> [ string ]

    Example: args cfg => [ "--control-plane-url" "https://cp.example.com:8443" "--machine-id" "web-01" … ]
  */
  args =
    cfg:
    [
      "--control-plane-url"
      (concatStringsSep "," (cpUrls cfg))
      "--machine-id"
      cfg.machineId
      "--poll-interval"
      "${toString cfg.pollInterval}s"
      "--trust-file"
      cfg.trustFile
      "--state-dir"
      cfg.stateDir
      "--ssh-host-key-file"
      cfg.sshHostKeyFile
    ]
    # The probes are those of the activated closure (RFC-0007 §5). On NixOS
    # that closure's etc/ is /etc; the sandbox backend activates into its own
    # root and finds the running closure's file itself — pointing it at this
    # host's /etc would run the wrong probe set.
    ++ (if cfg.activationBackend == "nixos" then [ "--health-checks-config" healthChecks.path ] else [ ])
    ++ [
      "--activation-backend"
      cfg.activationBackend
      "--log-level"
      cfg.logLevel
    ]
    ++ flag "--ca-cert" cfg.tls.caCert
    ++ flag "--client-cert" cfg.tls.clientCert
    ++ flag "--client-key" cfg.tls.clientKey
    ++ flag "--bootstrap-token-file" cfg.bootstrapTokenFile
    ++ flag "--cache-url" (if cfg.cacheUrls == [ ] then null else concatStringsSep "," cfg.cacheUrls)
    ++ cfg.extraArgs;

  /**
    systemd [Service] settings other than ExecStart. The agent runs as root:
    it sets the system profile, copies closures into the store and starts
    switch-to-configuration in a transient unit (systemd-run), so the
    sandbox is the subset that does not get in the way of those.

    Type: serviceConfig :: cfg -> attrset
  */
  serviceConfig =
    cfg:
    let
      stateName = common.stateDirectoryName cfg.stateDir;
    in
    systemd.baseHardening
    // {
      Type = "simple";
      # The agent is the host's last line of defence: always come back,
      # slowly enough not to hammer a control plane that is down.
      Restart = "always";
      RestartSec = 30;
      # /usr, /boot and /etc read-only. Not "strict": nix-env writes
      # /nix/var/nix/profiles, and the switch itself runs outside this
      # sandbox (systemd-run), where it may write /boot and /etc.
      ProtectSystem = "full";
      # Probes and the switch unit read kernel state; the agent changes none.
      ProtectKernelTunables = true;
      ProtectControlGroups = true;
      RestrictNamespaces = true;
      SystemCallArchitectures = "native";
    }
    // (
      if stateName == null then
        { ReadWritePaths = [ cfg.stateDir ]; }
      else
        {
          StateDirectory = stateName;
          StateDirectoryMode = "0700";
        }
    );

  /**
    Assertions of the agent module, each message prefixed with the option it
    is about.

    Type: assertions :: { cfg, trust, healthErrors :: [ string ] } -> [ { assertion; message; } ]
  */
  assertions =
    {
      cfg,
      trust,
      healthErrors ? [ ],
    }:
    [
      {
        assertion = ((trust.ciReleaseKey or { }).current or null) != null;
        message = "services.nixfleet-agent: nixfleet.trust.ciReleaseKey.current is null, so the agent would refuse every release. Fix: declare the CI release public key in nixfleet.trust.ciReleaseKey.current.";
      }
      {
        assertion = healthErrors == [ ];
        message = "services.nixfleet-agent.healthChecks: ${toString (builtins.length healthErrors)} error(s):\n  ${concatStringsSep "\n  " healthErrors}";
      }
      {
        assertion = cpUrls cfg != [ ];
        message = "services.nixfleet-agent.controlPlane: no control-plane URL. Fix: set services.nixfleet-agent.controlPlane.url, or list the replicas in controlPlane.urls.";
      }
      {
        assertion = cfg.tls.clientKey == null || cfg.tls.clientCert != null;
        message = "services.nixfleet-agent.tls.clientKey is set but tls.clientCert is not: the agent would pair your key with the certificate enrollment writes for the SSH host key. Fix: set services.nixfleet-agent.tls.clientCert too, or unset tls.clientKey.";
      }
    ]
    ++ common.secretsOutsideStore {
      "services.nixfleet-agent.tls.clientKey" = cfg.tls.clientKey;
      "services.nixfleet-agent.bootstrapTokenFile" = cfg.bootstrapTokenFile;
      "services.nixfleet-agent.sshHostKeyFile" = cfg.sshHostKeyFile;
    };

  /**
    Warnings of the agent module; each names the option that silences it.

    Type: warnings :: cfg -> [ string ]
  */
  warnings =
    cfg:
    if cfg.activationBackend == "sandbox" then
      [
        "services.nixfleet-agent.activationBackend = \"sandbox\": the agent converges a simulated system under ${cfg.stateDir}/sandbox and never switches this host. Set services.nixfleet-agent.activationBackend = \"nixos\" unless this is a test host."
      ]
    else
      [ ];

  /**
    What the agent adds to the persistence contract (nixfleet.persistence).
    Its state directory holds the enrolled certificate, the outbound event
    queue and the last-good manifest: losing it means re-enrolling.

    Type: persistence :: cfg -> { directories :: [ attrset ]; files :: [ string ]; }
  */
  persistence = cfg: {
    directories = [
      {
        directory = cfg.stateDir;
        mode = "0700";
      }
    ];
    files = [ ];
  };
}
