# An agent SIGKILLed while its detached switch runs: on restart it reconciles
# its persisted record and switch handle with the running system, resumes the
# same switch instead of firing another, and emits what the CP missed; no host
# is left Activating and the rollout completes.
{
  name = "boot-recovery";
  description = "An agent killed inside its activation restarts, resumes the persisted switch, emits what the CP missed; every host converges on the target.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  # Every host's switch takes 4 s, so the kill lands inside it.
  generations.g1.default.switchSecs = 4;
  steps = [
    { release = "g1"; }
    { fault = { kind = "killAgent"; hosts = [ "web-01" ]; duringActivation = true; }; timeoutSecs = 90; }
    { sleepSecs = 1; }
    { fault = { kind = "restartAgent"; hosts = [ "web-01" ]; }; }
    { wait = { kind = "hostRecovered"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { wait.kind = "hostsConverged"; timeoutSecs = 60; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
  ];
}
