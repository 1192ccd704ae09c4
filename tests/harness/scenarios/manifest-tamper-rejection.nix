# A rollout manifest tampered after signing is refused: the CP raises a
# TRUST_ERR_* alert and never opens the rollout, so no agent is dispatched
# to it and every host keeps its generation. (Agents verify manifests too —
# corruption-rejection and the agent tests cover that side — but an honest
# CP never serves bytes it could not verify.)
{
  name = "manifest-tamper-rejection";
  description = "A rollout manifest with one byte flipped after signing is refused; no host leaves its generation.";
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.good = { };
  generations.next = { };
  steps = [
    { release = "good"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    # The CP is down while CI publishes and the manifest is tampered, so the
    # CP can only ever read the tampered bytes (no race with its poller).
    { fault.kind = "killCp"; }
    { release = "next"; }
    { fault = { kind = "tamperArtifact"; artifact = "rollout-manifest"; }; }
    { fault.kind = "restartCp"; }
    { wait = { kind = "cpAlert"; code = "TRUST_ERR_"; }; timeoutSecs = 30; }
    { sleepSecs = 5; }
    { wait = { kind = "hostCurrent"; generation = "good"; }; }
  ];
}
