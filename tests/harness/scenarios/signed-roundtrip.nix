# The signed loop end to end: what CI signed is what the CP serves, byte for
# byte, and what every agent verified and cached; an auditor holding only
# trust.json verifies fleet.resolved, the rollout manifest bound to it and each
# host's signed probe evidence offline with `nixfleet verify`.
{
  name = "signed-roundtrip";
  description = "CI-signed manifest = CP-served bytes = agent-verified bytes; fleet.resolved, manifest and host-signed probe evidence verify offline.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.g1 = { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
  ];
  invariants = [ "signedRoundtrip" ];
}
