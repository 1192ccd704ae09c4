# The framework's NixOS modules without nixpkgs (stub.nix): option style
# (type, full-sentence description, example that type-checks, default that
# type-checks unless computed), and wiring (the unit, files and persistence
# a module defines are the lib/render outputs for its options).
# Run: bash tests/lib/modules/run.sh
let
  inherit (builtins)
    attrNames
    concatMap
    elem
    fromJSON
    isString
    ;
  schema = import ../../../lib/schema;
  render = import ../../../lib/render;
  stub = import ./stub.nix;
  s = import ../render/samples.nix;
  t = import ../support/cases.nix;
  inherit (t)
    eq
    mentions
    none
    truthy
    failing
    ;

  scopes = ../../../modules/scopes/nixfleet;

  # examples/hive/module.nix with the given matrix settings (domain example.com).
  hive =
    o:
    stub.call ../../../examples/hive/module.nix {
      config.services.hyperhive = {
        domain = o.domain or "example.com";
        matrix = {
          enable = true;
          defaults = o.defaults or "v2";
          serverName = o.serverName or null;
          gatewayHost = o.gatewayHost or null;
          openFirewall = null;
          trustedServers = [ ];
          maxRequestSize = 20000000;
          registrationTokenFile = "/var/lib/hyperhive/matrix-register-token";
          httpPort = 6167;
        };
      };
    };
  styleProblems = (import ./style.nix).problems;

  key = {
    algorithm = "ed25519";
    public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
  };
  trust =
    (schema.check "t" (schema.loadContract ../../../contracts/trust.nix) {
      nixfleet.trust.ciReleaseKey.current = key;
    }).nixfleet.trust;
  trustJson = render.trustJson.render trust;

  baseConfig = {
    networking.hostName = "web-01";
    nixfleet = {
      inherit trust trustJson;
    };
    nix.package = "/nix/store/nix";
    systemd.package = "/nix/store/systemd";
    services.nixfleet-cache = {
      enable = true;
      cacheUrl = "https://cache.example.com";
      publicKey = null;
    };
  };

  agentCfg = s.agent.full // {
    package = "/nix/store/fake-nixfleet-agent";
    cacheUrls = [ ];
    healthChecks.nginx = {
      kind = "http";
      url = "http://localhost/";
    };
    fleetHealthChecks = null;
  };
  agent = stub.call (scopes + "/_agent.nix") {
    config = baseConfig // {
      services = baseConfig.services // {
        nixfleet-agent = agentCfg;
      };
    };
  };
  agentUnit = agent.config.systemd.services.nixfleet-agent;

  cpCfg = s.cp.strict // {
    package = "/nix/store/fake-nixfleet-cp";
  };
  cp = stub.call (scopes + "/_control-plane.nix") {
    config = baseConfig // {
      services.nixfleet-control-plane = cpCfg;
    };
  };
  cpUnit = cp.config.systemd.services.nixfleet-control-plane;

  core = stub.call ../../../modules/core/_nixos.nix {
    config.hostSpec = {
      hostName = "db-01.paris";
      timeZone = "Europe/Paris";
      locale = "fr_FR.UTF-8";
      keyboardLayout = "fr";
      rootSshKeys = [ "ssh-ed25519 AAAA ops" ];
      rootHashedPasswordFile = null;
      userName = "root";
      home = null;
    };
  };

  cache = stub.call (scopes + "/_cache.nix") {
    config = baseConfig // {
      nixfleet.trust = trust // {
        cacheKeys = [ "k-1:abc=" ];
      };
    };
  };
  cacheNoKey = stub.call (scopes + "/_cache.nix") { config = baseConfig; };
  operator = stub.call (scopes + "/_operator.nix") {
    config.nixfleet.operator = {
      enable = true;
      package = "/nix/store/fake-nixfleet";
      orgRootKeyFile = "/run/agenix/org-root-key";
    };
  };
  trustModule = stub.call (scopes + "/_trust-json.nix") { config = baseConfig; };

  complianceCfg = {
    enable = true;
    frameworks = [ "dora" ];
    interval = "1h";
    evidencePath = "/var/lib/nixfleet-compliance/evidence.json";
    sshHostKeyFile = "/etc/ssh/ssh_host_ed25519_key";
    timeoutSecs = 120;
    package = "/nix/store/fake-nixfleet";
    probePackages = [ "/nix/store/openssh" ];
  };
  compliance = stub.call (scopes + "/_compliance.nix") {
    config = baseConfig // {
      services.nixfleet-compliance = complianceCfg;
    };
  };
  complianceNone = stub.call (scopes + "/_compliance.nix") {
    config = baseConfig // {
      services.nixfleet-compliance = complianceCfg // {
        frameworks = [ ];
      };
    };
  };
  complianceUnit = compliance.config.systemd.services.nixfleet-compliance;
  complianceControls = fromJSON compliance.config.environment.etc."nixfleet/compliance/controls.json".text;

  optionTrees = {
    "services.nixfleet-agent" = agent.options.services.nixfleet-agent;
    "services.nixfleet-control-plane" = cp.options.services.nixfleet-control-plane;
    "services.nixfleet-cache" = cache.options.services.nixfleet-cache;
    "nixfleet.operator" = operator.options.nixfleet.operator;
    "services.nixfleet-compliance" = compliance.options.services.nixfleet-compliance;
    "nixfleet.trustJson" = {
      inherit (trustModule.options.nixfleet) trustJson;
    };
  };
in
{
  options-style = none (concatMap (n: styleProblems n optionTrees.${n}) (attrNames optionTrees));
  options-agent-package = truthy (agent.options.services.nixfleet-agent ? package) "services.nixfleet-agent.package must be declared";

  agent-execstart = eq agentUnit.serviceConfig.ExecStart (
    render.systemd.execStart "/nix/store/fake-nixfleet-agent/bin/nixfleet-agent" (render.agent.args agentCfg)
  );
  agent-unit-hardening = eq {
    inherit (agentUnit.serviceConfig) Restart NoNewPrivileges;
  } {
    Restart = "always";
    NoNewPrivileges = true;
  };
  agent-unit-path = eq agentUnit.path [ "/nix/store/nix" "/nix/store/systemd" ];
  agent-trust-file = eq (fromJSON agent.config.environment.etc."nixfleet/agent/trust.json".text) trustJson;
  agent-health-file = eq (fromJSON agent.config.environment.etc."nixfleet/agent/health-checks.json".text).probes.nginx.expectStatus 200;
  agent-assertions-pass = none (failing agent.config.assertions);
  agent-persistence = eq agent.config.nixfleet.persistence.directories [
    {
      directory = "/persist/nixfleet-agent";
      mode = "0700";
    }
  ];
  agent-cache-default = eq agent.config.services.nixfleet-agent.cacheUrls [ "https://cache.example.com" ];
  agent-imports-contracts = truthy (elem ../../../contracts/persistence.nix agent.imports) "the agent module must import the persistence contract it writes to";

  cp-execstart = eq cpUnit.serviceConfig.ExecStart (
    render.systemd.execStart "/nix/store/fake-nixfleet-cp/bin/nixfleet-control-plane" (render.controlPlane.args cpCfg)
  );
  cp-user = eq {
    inherit (cpUnit.serviceConfig) User Group;
    system = cp.config.users.users.nixfleet-cp.isSystemUser;
  } {
    User = "nixfleet-cp";
    Group = "nixfleet-cp";
    system = true;
  };
  cp-firewall = eq cp.config.networking.firewall.allowedTCPPorts [ 8443 ];
  cp-trust-file = eq (fromJSON cp.config.environment.etc."nixfleet/cp/trust.json".text).schemaVersion 1;
  cp-assertions-pass = none (failing cp.config.assertions);
  cp-no-warnings-strict = none cp.config.warnings;

  core-hostname = eq {
    inherit (core.config.networking) hostName domain;
    tz = core.config.time.timeZone;
  } {
    hostName = "db-01";
    domain = "paris";
    tz = "Europe/Paris";
  };
  core-root-keys = eq core.config.users.users.root.openssh.authorizedKeys.keys [ "ssh-ed25519 AAAA ops" ];
  core-persistence-baseline = truthy (elem "/var/lib/nixos" core.config.nixfleet.persistence.directories) "the persistence baseline must keep /var/lib/nixos";

  cache-settings = eq cache.config.nix.settings {
    substituters = [ "https://cache.example.com" ];
    trusted-public-keys = [ "k-1:abc=" ];
  };
  cache-no-key-asserts = mentions (failing cacheNoKey.config.assertions) [ "services.nixfleet-cache" "publicKey" ];
  operator-env = eq operator.config.environment.variables.NIXFLEET_OPERATOR_ORG_ROOT_KEY "/run/agenix/org-root-key";
  trust-json-option-default = eq trustModule.options.nixfleet.trustJson.default trustJson;
  trust-json-no-problems = none (failing trustModule.config.assertions);

  # The collector checks exactly the controls of the enabled frameworks,
  # each restricted to them, as contracts/compliance-control.nix documents.
  compliance-controls-file = eq (map (c: c.id) complianceControls) (import ../../../lib/compliance).byFramework.dora;
  compliance-controls-framework-only = none (builtins.filter (c: attrNames c.frameworks != [ "dora" ]) complianceControls);
  compliance-controls-valid = none (
    concatMap (schema.validate (schema.loadContract ../../../contracts/compliance-control.nix)) complianceControls
  );
  compliance-execstart = eq complianceUnit.serviceConfig.ExecStart (
    render.systemd.execStart "/nix/store/fake-nixfleet/bin/nixfleet-compliance-collect" [
      "--controls"
      "/etc/nixfleet/compliance/controls.json"
      "--host-key"
      "/etc/ssh/ssh_host_ed25519_key"
      "--out"
      "/var/lib/nixfleet-compliance/evidence.json"
      "--timeout-secs"
      "120"
    ]
  );
  compliance-timer = eq compliance.config.systemd.timers.nixfleet-compliance.timerConfig.OnUnitActiveSec "1h";
  compliance-path = eq complianceUnit.path [ "/nix/store/openssh" ];
  compliance-assertions-pass = none (failing compliance.config.assertions);
  compliance-no-frameworks-asserts = mentions (failing complianceNone.config.assertions) [ "services.nixfleet-compliance.frameworks is empty" ];

  files-are-strings = truthy (isString agent.config.environment.etc."nixfleet/agent/trust.json".text) "trust.json must be rendered as text";

  # examples/hive/module.nix (seed 000's homeserver): the serverName default
  # flips between module releases, so the module declares the effective
  # value irrevocable; its two assertions; state in the persistence contract.
  hive-v1-default = eq (hive { defaults = "v1"; }).config.nixfleet.irrevocable { serverName = "matrix.example.com"; };
  hive-v2-default = eq (hive { }).config.nixfleet.irrevocable { serverName = "example.com"; };
  hive-explicit = eq (hive { serverName = "matrix.example.com"; }).config.nixfleet.irrevocable { serverName = "matrix.example.com"; };
  hive-v1-firewall = eq (hive { defaults = "v1"; }).config.networking.firewall.allowedTCPPorts [ 6167 ];
  hive-v2-firewall = eq (hive { }).config.networking.firewall.allowedTCPPorts [ ];
  hive-assertions-pass = none (failing (hive { }).config.assertions);
  hive-empty-gateway = mentions (failing (hive { gatewayHost = ""; }).config.assertions) [ "gatewayHost" "empty string" ];
  hive-no-name = mentions (failing (hive { domain = null; }).config.assertions) [ "serverName" "irrevocably" ];
  hive-no-name-not-declared = eq (hive { domain = null; }).config.nixfleet.irrevocable { };
  hive-state-persisted = truthy (elem "/var/lib/nixos-containers/hive-matrix/var/lib/matrix-tuwunel" (hive { }).config.nixfleet.persistence.directories) "the homeserver's state must be persisted";
  hive-token-at-activation = mentions [ (hive { }).config.system.activationScripts.hive-matrix-token.text ] [ "chmod 0600" "/dev/urandom" ];
}
