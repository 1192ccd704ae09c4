# Probes at four scopes (RFC-0007 §3.1, §3.5, §4): fleet < tag < channel <
# host, whole-probe shadowing, every shadowing reported as a warning naming
# the probe, both scopes and the hosts.
#   heartbeat        fleet; re-declared by tag web (web-01, web-02) and by
#                    host web-02 (host wins there)
#   nginx-version    tag web; identical declaration by tag frontend: one
#                    scope, equal definitions, no error
#   disk             channel stable; host db-01 replaces it
#   pg               host db-01 only (tcp)
#   smoke            channel edge (exec), mode disabled
{ mkFleet, ... }:
let
  s = import ../support.nix;
  nginx = {
    kind = "http";
    url = "http://localhost/version";
    expectStatus = 200;
    intervalSeconds = 15;
    mode = "enforce";
  };
in
mkFleet {
  hosts = {
    web-01 = s.host "web-01" {
      channel = "stable";
      tags = [ "web" "frontend" ];
    };
    web-02 = s.host "web-02" {
      channel = "stable";
      tags = [ "web" ];
      healthChecks.heartbeat = {
        kind = "http";
        url = "http://localhost:8080/healthz";
        bodyContains = "ok";
        mode = "enforce";
      };
    };
    db-01 = s.host "db-01" {
      channel = "stable";
      tags = [ "db" ];
      healthChecks = {
        pg = {
          kind = "tcp";
          host = "127.0.0.1";
          port = 5432;
        };
        disk = {
          kind = "exec";
          command = "/run/current-system/sw/bin/check-disk /var/lib/postgresql";
          intervalSeconds = 300;
        };
      };
    };
    lab-01 = s.host "lab-01" { channel = "edge"; };
  };
  tags = {
    web.healthChecks = {
      heartbeat = {
        kind = "http";
        url = "http://localhost/health";
        intervalSeconds = 10;
        mode = "enforce";
      };
      nginx-version = nginx;
    };
    frontend.healthChecks.nginx-version = nginx;
  };
  healthChecks.heartbeat = {
    kind = "http";
    url = "http://localhost/health";
    intervalSeconds = 30;
    mode = "observe";
  };
  channels = {
    stable = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      healthChecks.disk = {
        kind = "exec";
        command = "/run/current-system/sw/bin/check-disk /";
        expectExitCode = 0;
        timeoutSecs = 20;
      };
    };
    edge = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 1440;
      healthChecks.smoke = {
        kind = "exec";
        command = "/run/current-system/sw/bin/smoke-test";
        mode = "disabled";
      };
    };
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
