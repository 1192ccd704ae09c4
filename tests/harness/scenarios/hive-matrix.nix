# The hive-matrix homeserver (examples/hive/, seed 000) keeps its identity.
# hive-01 is configured through the hive-matrix module (its settings.nix
# decisions), whose effective serverName the configuration declares
# irrevocable. g2 bumps the module from v1 to v2, which flips serverName's
# default (matrix.example.com -> example.com): `nixfleet release` refuses it
# (RELEASE_ERR_IRREVOCABLE_CHANGE, nothing published, hosts stay on g1). g3
# keeps v1 but sets gatewayHost to the empty string: the module's assertion
# fails and the release names the host and the assertion (RELEASE_ERR_EVAL).
# g2 released with the change accepted goes out: `nixfleet verify` shows the
# acceptance, and the homeserver's agent finds it in its signed manifest and
# activates g2 (without it the agent refuses, AGENT_ERR_IRREVOCABLE_CHANGE,
# ts/agent/manifest/irrevocable.test.ts). The registration token the
# homeserver's switch creates at activation (0600) is found nowhere but on
# the host (secretsConfined: CP state and logs, release dir, cache, stores).
let
  token = [ "/var/lib/hyperhive/matrix-register-token" ];
  homeserver = hive: {
    hive.hive-01 = hive;
    hosts.hive-01.activationTokens = token;
  };
in
{
  name = "hive-matrix";
  description = "A module bump flipping the homeserver's irrevocable serverName default is refused at release, a failed module assertion names host and assertion; the accepted change is signed, audited and rolled out; the activation token stays on the host.";
  fleet = {
    hosts.gw-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
    hosts.hive-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "matrix" ]; };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
    };
  };
  generations.g1 = homeserver { defaults = "v1"; domain = "example.com"; };
  generations.g2 = homeserver { defaults = "v2"; domain = "example.com"; };
  generations.g3 = homeserver { defaults = "v1"; domain = "example.com"; matrix.gatewayHost = ""; };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
    {
      release = "g2";
      expectRefused = "RELEASE_ERR_IRREVOCABLE_CHANGE";
      expectMessage = [ ''hive-01: serverName: "matrix.example.com" -> "example.com"'' ];
    }
    {
      release = "g3";
      expectRefused = "RELEASE_ERR_EVAL";
      expectMessage = [ "evaluating host hive-01" "services.hyperhive.matrix.gatewayHost must not be the empty string" ];
    }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; timeoutSecs = 5; }
    { release = "g2"; acceptIrrevocable = [ "hive-01:serverName" ]; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; timeoutSecs = 120; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
  ];
  invariants = [ "wavesInOrder" "signedRoundtrip" "secretsConfined" ];
}
