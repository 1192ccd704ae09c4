# A target whose signed artifacts are older than the channel's freshness
# window (CI signed it 3 h ago; the window is 2 h) — what a compromised CP
# replaying an old release would serve. The CP, which adopted a newer
# release, refuses it as a rollback (CP_ERR_ARTIFACT_ROLLBACK). Once the CP
# has lost its state (database and release copy wiped), its own adoption
# window (7 days) lets it through; every agent's freshness gate refuses it
# with a typed DispatchReject and keeps its generation. Each host has a
# channel of its own: the first refusal halts its rollout (rollback-and-halt),
# and a shared rollout would never reach a host that heartbeats into the
# wiped CP after that refusal.
{
  name = "stale-target";
  description = "A release older than the adopted one is refused by the CP (CP_ERR_ARTIFACT_ROLLBACK); after a CP state wipe, a target signed longer ago than the channel freshnessWindow is refused by every agent (DispatchReject Stale, TRUST_ERR_STALE); hosts keep their generation.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable-a"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable-b"; tags = [ "web" ]; };
    channels.stable-a = { rolloutPolicy = "all-at-once"; freshnessWindow = 120; };
    channels.stable-b = { rolloutPolicy = "all-at-once"; freshnessWindow = 120; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.current = { };
  generations.replayed = { };
  steps = [
    { release = "current"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { release = "replayed"; signedAgoSecs = 10800; }
    { wait = { kind = "cpAlert"; code = "CP_ERR_ARTIFACT_ROLLBACK"; }; timeoutSecs = 30; }
    { fault.kind = "wipeCpDb"; }
    { wait = { kind = "agentRejected"; code = "TRUST_ERR_STALE"; }; timeoutSecs = 60; }
    { wait = { kind = "hostCurrent"; generation = "current"; }; }
  ];
}
