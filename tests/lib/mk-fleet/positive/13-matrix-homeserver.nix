# A single real deployment (seed 000): a private Matrix homeserver
# (matrix-tuwunel in the hive-matrix nixos-container, sharing the host
# network namespace) with host-scope probes an operator would want:
# the client-server API answers, the listener is up, the registration token
# exists before any agent provisioning (the activation-time race the seed
# describes).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts.hive-01 = s.host "hive-01" {
    # anssi-bp028 in enforce: the host's configuration passes its controls.
    configuration = s.hardened "hive-01" { };
    channel = "stable";
    tags = [ "matrix" ];
    pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHiveMatrixHomeserverHostKeyExample00000 root@hive-01";
    healthChecks = {
      matrix-client-api = {
        kind = "http";
        url = "http://localhost:6167/_matrix/client/versions";
        bodyContains = "versions";
        mode = "enforce";
      };
      tuwunel-listener = {
        kind = "tcp";
        host = "127.0.0.1";
        port = 6167;
        mode = "observe";
      };
      registration-token = {
        kind = "exec";
        command = "/run/current-system/sw/bin/test -s /var/lib/hyperhive/matrix-register-token";
        intervalSeconds = 300;
      };
    };
  };
  tags.matrix.description = "Runs the hive-matrix homeserver container.";
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [ "anssi-bp028" ];
  };
  rolloutPolicies.all-at-once = {
    strategy = "all-at-once";
    healthGate.systemdFailedUnits.max = 0;
  };
}
