# A closure pushed to the cache bypassing signing is refused by every agent,
# which reports it and keeps running its current generation; a tampered
# fleet.resolved is refused by the CP, which keeps the last verified snapshot
# and raises an alert.
{
  name = "corruption-rejection";
  description = "Unsigned closures are refused by every agent; a tampered fleet.resolved is refused by the CP, which keeps its last verified snapshot.";
  fast = true;
  fleet = {
    hosts = {
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.good = { };
  generations.unsigned.default.signed = false;
  steps = [
    { release = "good"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { release = "unsigned"; }
    { wait = { kind = "agentRejected"; code = "ClosureUntrusted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; generation = "good"; }; }
    { fault = { kind = "tamperArtifact"; artifact = "fleet.resolved"; }; }
    { wait = { kind = "cpAlert"; code = "TRUST_ERR_BAD_SIGNATURE"; }; timeoutSecs = 30; }
    { wait = { kind = "hostCurrent"; generation = "good"; }; }
  ];
}
