# Ten agents, two waves, a budget of three: all converge.
let
  host = n: tags: { name = "node-${n}"; value = { system = "x86_64-linux"; channel = "stable"; inherit tags; }; };
in
{
  name = "fleet-10";
  description = "Ten agents in two waves under a budget of three converge on one release.";
  fleet = {
    hosts = builtins.listToAttrs (
      [ (host "00" [ "canary" ]) (host "01" [ "canary" ]) ]
      ++ map (i: host "0${toString i}" [ "web" ]) [ 2 3 4 5 6 7 8 9 ]
    );
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
    };
    disruptionBudgets = [ { selector.tags = [ "web" ]; maxInFlight = 3; } ];
  };
  generations.g1 = { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 180; }
  ];
  invariants = [ "wavesInOrder" "budgetsRespected" ];
}
