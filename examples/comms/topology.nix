# The comms fleet's shape, without host configurations: hosts, tags and
# their probes, the channel, the canary policy, the disruption budget and the
# host edges. fleet.nix adds the configurations; the harness's comms-*
# scenarios run this same shape with shorter intervals.
#
# Arguments (all defaulted to the production values):
#   system               the hosts' platform
#   probeIntervalSeconds how often each probe runs
#   soakMinutes          per wave of the agent tier: [ canary three rest ]
{
  system ? "x86_64-linux",
  probeIntervalSeconds ? 10,
  soakMinutes ? [
    30
    30
    0
  ],
}:
let
  inherit (builtins) elemAt genList listToAttrs;
  settings = import ./settings.nix;
  every = p: p // { intervalSeconds = probeIntervalSeconds; };

  agentName = i: "agent-${if i < 10 then "0" else ""}${toString i}";
  agents = genList (i: agentName (i + 1)) 16;
  # The canary tier of the seed ("disable Telegram on agents one by one"):
  # one agent, then three, then the remaining twelve.
  tier =
    i:
    if i == 1 then
      "canary"
    else if i <= 4 then
      "early"
    else
      "main";

  host = channel: tags: { inherit system channel tags; };
in
{
  hosts =
    listToAttrs (
      genList (i: {
        name = agentName (i + 1);
        value = host "comms" [
          "agent"
          (tier (i + 1))
        ];
      }) 16
    )
    // {
      # Phase 1: nats-server with JetStream (clients on 4222).
      nats-01 = host "comms" [
        "nats"
        "infra"
      ];
      # Phase 2: the Matrix homeserver (6167, behind the TLS proxy).
      matrix-01 = host "comms" [
        "matrix"
        "infra"
      ];
    };

  tags = {
    nats = {
      description = "Runs nats-server with JetStream: the fleet bus.";
      # Not bare /healthz: see settings.nix, natsProbe.
      healthChecks.nats-jetstream = every settings.natsProbe;
    };
    matrix = {
      description = "Runs the Matrix homeserver (#fleet-ops and the other rooms).";
      healthChecks.matrix-client-api = every settings.matrixProbe;
    };
    agent = {
      description = "Hermes agents: heartbeat on fleet.heartbeat.<host>, a Matrix bot.";
      healthChecks.heartbeat-on-broker = every settings.heartbeatProbe;
    };
    infra.description = "The bus and the homeserver: every agent depends on them.";
    canary.description = "The agent that takes every change first.";
    early.description = "The three agents that follow the canary.";
    main.description = "The twelve agents that go last, at most four at a time.";
  };

  channels.comms = {
    description = "The whole comms fleet: the bus and the homeserver first, then the agents, canary first.";
    rolloutPolicy = "comms-canary";
    freshnessWindow = 1440;
  };

  rolloutPolicies.comms-canary = {
    strategy = "canary";
    waves = [
      { selector.tags = [ "infra" ]; }
      {
        selector.tags = [ "canary" ];
        soakMinutes = elemAt soakMinutes 0;
      }
      {
        selector.tags = [ "early" ];
        soakMinutes = elemAt soakMinutes 1;
        minSoaked = 3;
      }
      {
        selector.tags = [ "main" ];
        soakMinutes = elemAt soakMinutes 2;
      }
    ];
    # A canary whose heartbeat does not reach the broker goes back to the
    # closure it ran, and nothing after it is touched.
    onHealthFailure = "rollback-and-halt";
  };

  # At most four agents restarting at once: the rest keep the fleet's
  # capacity while a wave goes through.
  disruptionBudgets = [
    {
      selector.tags = [ "agent" ];
      maxInFlight = 4;
    }
  ];

  # Every agent publishes to the bus: the broker converges before any agent
  # is updated, whatever the waves say.
  edges = map (a: {
    before = "nats-01";
    after = a;
    reason = "agents heartbeat on the broker";
  }) agents;
}
