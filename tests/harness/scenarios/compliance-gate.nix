# Compliance as a release gate (docs/compliance.md), on a channel enforcing
# NIS2. Every host's configuration is the hardened stand-in
# (tests/lib/support/hardened.nix) and every closure carries the controls
# file of its frameworks; each switch runs the real collector, which signs
# the evidence the agent's evidence-nis2-essential probe reads.
#   static:  a generation whose canary permits root logins over SSH is
#            refused at release (RELEASE_ERR_COMPLIANCE naming host, control,
#            framework and the option's value); nothing is published, no host
#            moves.
#   runtime: a generation whose probe for firewall-enabled finds the firewall
#            off: the collector's signed evidence says so on the canary, its
#            enforce evidence probe fails, the CP's probe_failures names the
#            control, the canary reverts under rollback-and-halt and web-01
#            never runs the generation.
{
  name = "compliance-gate";
  description = "A channel enforcing NIS2: a static control failing on the canary refuses the release (RELEASE_ERR_COMPLIANCE naming host, control, framework); a runtime control failing in the canary's signed collector evidence is named in the rollout trace's probeFailures, the canary reverts, web-01 never changes.";
  fast = false;
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = {
      rolloutPolicy = "canary";
      freshnessWindow = 1440;
      compliance = { frameworks = [ "nis2-essential" ]; mode = "enforce"; };
    };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
      onHealthFailure = "rollback-and-halt";
    };
  };
  generations.good = { };
  generations.root-login.nixos.canary-01.services.openssh.settings.PermitRootLogin = "yes";
  generations.firewall-off.default.failingControls = [ "firewall-enabled" ];
  steps = [
    { release = "good"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 120; }
    {
      release = "root-login";
      expectRefused = "RELEASE_ERR_COMPLIANCE";
      expectMessage = [ "host canary-01: control ssh-root-login-disabled [" "nis2-essential art.21(2)(i)" "services.openssh.settings.PermitRootLogin = \"yes\"" ];
    }
    { sleepSecs = 3; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" ]; generation = "good"; }; }
    { wait = { kind = "hostsConverged"; }; }
    { release = "firewall-off"; }
    { wait = { kind = "controlFailed"; channel = "stable"; hosts = [ "canary-01" ]; code = "firewall-enabled"; }; timeoutSecs = 120; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Reverted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" ]; generation = "good"; }; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Reverted"; }; timeoutSecs = 60; }
    { sleepSecs = 5; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "good"; }; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" "auditVerifies" ];
}
