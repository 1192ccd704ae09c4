# The demo fleet (mkFleet input): eight hosts on one channel, rolled out by a
# 3-wave canary — the two canaries, then the web tier (at most two web hosts
# in flight at once), then everything else. `nixfleet demo` gives each host a
# tiny real NixOS-like toplevel per generation (examples/demo/scenario.nix).
#
# Soak is 0 minutes so the demo ends in about a minute; a real fleet soaks
# each wave for minutes or hours (rolloutPolicies.<name>.waves[].soakMinutes).
let
  host = tags: {
    system = builtins.currentSystem;
    channel = "stable";
    inherit tags;
  };
in
{
  hosts = {
    canary-01 = host [ "canary" ];
    canary-02 = host [ "canary" ];
    web-01 = host [ "web" ];
    web-02 = host [ "web" ];
    web-03 = host [ "web" ];
    db-01 = host [ "db" ];
    cache-01 = host [ "infra" ];
    nats-01 = host [ "infra" ];
  };
  channels.stable = {
    description = "Production channel of the demo.";
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary = {
    strategy = "canary";
    waves = [
      { selector.tags = [ "canary" ]; }
      { selector.tagsAny = [ "web" ]; }
      { selector.all = true; }
    ];
    onHealthFailure = "rollback-and-halt";
  };
  disruptionBudgets = [
    { selector.tags = [ "web" ]; maxInFlight = 2; }
  ];
}
