# Example fleet: the "Sovereign Comms" fleet (NATS bus + Matrix homeserver +
# 16 agents, canary rollout), written for mkFleet. Builtins only: the host
# configurations are stand-ins with a real (never built here) toplevel
# derivation; in a real flake they are self.nixosConfigurations.<host>.
#
#   nix-instantiate --eval --strict --json examples/fleet.nix -A resolved
#   nix-instantiate --eval --strict --json examples/fleet.nix -A healthChecks.agent-01
#   nix-instantiate --eval --strict --json examples/fleet.nix -A warnings
#
# Also a valid fleet file for the release step, which calls it with the
# library: `{ mkFleet, ... }: …` (the default makes it runnable on its own).
{
  mkFleet ? (import ../lib).mkFleet,
  ...
}:
let
  inherit (builtins) genList listToAttrs;

  # Stand-in for an evaluated NixOS configuration. Like a real one with the
  # nixfleet agent module (services.nixfleet-agent.fleetHealthChecks =
  # fleet.healthChecks.<host>), it renders the probes this fleet declares
  # for the host into etc/nixfleet/agent/health-checks.json: `nixfleet
  # release` refuses a host whose closure does not (docs/release.md).
  #
  # The option values below are what the compliance controls of the
  # channels' frameworks read (docs/compliance.md): a real configuration
  # gets them from its NixOS modules; the release refuses a host whose
  # enforce-mode controls fail.
  hardening = {
    services = {
      openssh = {
        enable = true;
        settings = {
          PasswordAuthentication = false;
          KbdInteractiveAuthentication = false;
          PermitRootLogin = "no";
        };
      };
      timesyncd.enable = true;
      journald.storage = "persistent";
      nixfleet-agent.enable = true;
    };
    security = {
      sudo = {
        enable = true;
        wheelNeedsPassword = true;
      };
      auditd.enable = true;
      audit.enable = true;
    };
    networking.firewall.enable = true;
    boot = {
      kernelParams = [ ];
      initrd.luks.devices.cryptroot.device = "/dev/disk/by-partlabel/cryptroot";
      kernel.sysctl = {
        "kernel.dmesg_restrict" = 1;
        "kernel.kptr_restrict" = 2;
        "kernel.unprivileged_bpf_disabled" = 1;
        "kernel.yama.ptrace_scope" = 1;
        "kernel.perf_event_paranoid" = 3;
        "net.ipv4.conf.all.rp_filter" = 1;
        "net.ipv4.conf.all.accept_redirects" = 0;
        "net.ipv4.conf.all.send_redirects" = 0;
        "net.ipv4.conf.all.accept_source_route" = 0;
        "net.ipv4.tcp_syncookies" = 1;
        "fs.protected_symlinks" = 1;
        "fs.protected_hardlinks" = 1;
        "fs.protected_fifos" = 2;
        "fs.protected_regular" = 2;
        "fs.suid_dumpable" = 0;
      };
    };
    systemd.tmpfiles.rules = [ ];
    environment.etc = { };
    users.users = { };
  };

  configuration = name: {
    config = hardening // {
      system.autoUpgrade.enable = false;
      system.build.toplevel = builtins.derivation {
      name = "nixos-system-${name}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      checks = builtins.toJSON fleet.healthChecks.${name};
      args = [
        "-c"
        "mkdir -p $out/bin $out/etc/nixfleet/agent && printf '#!/bin/sh\\nexit 0\\n' > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration && printf '%s' \"$checks\" > $out/etc/nixfleet/agent/health-checks.json"
      ];
      PATH = "/bin:/usr/bin";
    };
    };
  };

  agentName = i: "agent-${if i < 10 then "0" else ""}${toString i}";

  agent = i: {
    name = agentName i;
    value = {
      system = "x86_64-linux";
      configuration = configuration (agentName i);
      channel = "agents";
      # Phase 4: "disable Telegram on agents one by one (canary rollout!)".
      tags =
        [ "agent" ]
        ++ (if i <= 2 then [ "canary" ] else [ ])
        ++ (if i > 2 && i <= 8 then [ "non-critical" ] else [ ]);
    };
  };
  fleet = mkFleet {
  hosts = listToAttrs (genList (i: agent (i + 1)) 16) // {
    # Allegro VPS: nats-server, bare metal, NKey auth, JetStream.
    nats-01 = {
      system = "x86_64-linux";
      configuration = configuration "nats-01";
      channel = "infra";
      tags = [
        "nats"
        "always-on"
      ];
      healthChecks.jetstream = {
        kind = "http";
        url = "http://127.0.0.1:8222/healthz?js-enabled-only=true";
        intervalSeconds = 15;
        mode = "enforce";
      };
    };
    # Hermes VPS: Conduit homeserver behind Caddy TLS.
    matrix-01 = {
      system = "x86_64-linux";
      configuration = configuration "matrix-01";
      channel = "infra";
      tags = [
        "matrix"
        "always-on"
      ];
      healthChecks.conduit-client-api = {
        kind = "http";
        url = "http://127.0.0.1:6167/_matrix/client/versions";
        bodyContains = "versions";
        mode = "enforce";
      };
    };
  };

  tags = {
    agent = {
      description = "Hermes agents: NATS client + matrix-nio bot.";
      healthChecks.nats-heartbeat = {
        kind = "exec";
        command = "/run/current-system/sw/bin/check-nats-heartbeat fleet.heartbeat";
        intervalSeconds = 30;
        mode = "observe";
      };
    };
    canary.description = "Agents that take every change first.";
    non-critical.description = "Agents whose loss for an hour nobody notices.";
    always-on = {
      description = "Expected to be reachable 24/7 (the bus and the homeserver).";
      healthChecks.caddy-tls = {
        kind = "tcp";
        host = "127.0.0.1";
        port = 443;
        mode = "observe";
      };
    };
  };

  channels = {
    infra = {
      description = "The bus and the homeserver: converge first, one at a time.";
      rolloutPolicy = "one-at-a-time";
      freshnessWindow = 1440;
      compliance.frameworks = [ "anssi-bp028" ];
    };
    agents = {
      description = "The 16 agents, canary first.";
      rolloutPolicy = "canary-conservative";
      freshnessWindow = 1440;
      compliance = {
        frameworks = [ "nis2-essential" ];
        mode = "observe";
      };
    };
  };

  rolloutPolicies = {
    one-at-a-time = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "nats" ];
          soakMinutes = 15;
        }
        { selector.all = true; }
      ];
      healthGate.systemdFailedUnits.max = 0;
      onHealthFailure = "rollback-and-halt";
    };
    canary-conservative = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "canary" ];
          soakMinutes = 30;
        }
        {
          selector.tagsAny = [ "non-critical" ];
          soakMinutes = 60;
        }
        { selector.all = true; }
      ];
      healthGate.systemdFailedUnits.max = 0;
      onHealthFailure = "rollback-and-halt";
    };
  };

  # The homeserver's bridge needs the bus (same channel: a host edge).
  edges = [
    {
      before = "nats-01";
      after = "matrix-01";
      reason = "the Matrix bridge publishes to NATS";
    }
  ];

  # Agents connect to both servers: the infra channel converges first.
  channelEdges = [
    {
      before = "infra";
      after = "agents";
      reason = "agents need the bus and the homeserver";
    }
  ];

  disruptionBudgets = [
    {
      selector.tags = [ "always-on" ];
      maxInFlight = 1;
    }
    {
      selector.tags = [ "agent" ];
      maxInFlightPct = 25;
    }
  ];

  healthChecks.heartbeat = {
    kind = "http";
    url = "http://127.0.0.1:9100/metrics";
    mode = "observe";
  };

  # Kill phantom agents (Ezra-B, Bezalel-B with bad tokens).
  revocations = [
    {
      hostname = "ezra-b";
      notBefore = "2026-04-05T00:00:00Z";
      reason = "phantom agent with a bad token";
    }
    {
      hostname = "bezalel-b";
      notBefore = "2026-04-05T00:00:00Z";
      reason = "phantom agent with a bad token";
    }
  ];
};
in
fleet
