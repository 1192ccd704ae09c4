# The hive-matrix homeserver (examples/hive/, seed 000) keeps its identity:
# its configuration declares serverName irrevocable, and a module bump that
# flips serverName's default (g2: matrix.example.com -> example.com) is
# refused by `nixfleet release` (RELEASE_ERR_IRREVOCABLE_CHANGE, nothing
# published, the hosts stay on g1). Released again with the change accepted,
# it goes out: `nixfleet verify` shows the acceptance (who, what, when), and
# the homeserver's agent finds the acceptance in its signed manifest and
# activates g2 (without it the agent refuses, AGENT_ERR_IRREVOCABLE_CHANGE,
# ts/agent/manifest/irrevocable.test.ts). The registration token the
# homeserver's switch creates at activation (0600) is found nowhere but on
# the host (secretsConfined: CP state and logs, release dir, cache, stores).
{
  name = "hive-matrix";
  description = "A module bump flipping the homeserver's irrevocable serverName is refused at release; accepted, it is signed, audited and rolled out; its activation token stays on the host.";
  fleet = {
    hosts.gw-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
    hosts.hive-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "matrix" ]; };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
    };
  };
  generations.g1 = {
    irrevocable.hive-01.serverName = "matrix.example.com";
    hosts.hive-01.activationTokens = [ "/var/lib/hyperhive/matrix-register-token" ];
  };
  generations.g2 = {
    irrevocable.hive-01.serverName = "example.com";
    hosts.hive-01.activationTokens = [ "/var/lib/hyperhive/matrix-register-token" ];
  };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
    { release = "g2"; expectRefused = "RELEASE_ERR_IRREVOCABLE_CHANGE"; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; timeoutSecs = 5; }
    { release = "g2"; acceptIrrevocable = [ "hive-01:serverName" ]; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; timeoutSecs = 120; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
  ];
  invariants = [ "wavesInOrder" "signedRoundtrip" "secretsConfined" ];
}
