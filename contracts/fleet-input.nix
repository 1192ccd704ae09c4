# Contract: the input of mkFleet (RFC-0001 §2, RFC-0007 §3). Closed: an
# unknown key is a typo in fleet.nix and is reported with its path.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt;
  selector = t.selector { normalized = false; };
  pin = types.nullOr (t.pin { withDefaults = true; });
  probes = types.attrsOf (t.probe { resolved = false; });
  probeOpt = scope: opt probes "Health probes declared at ${scope} scope, by name (RFC-0007 §3)." {
    heartbeat = {
      kind = "http";
      url = "http://localhost/health";
      mode = "observe";
    };
  } { default = { }; };

  refinement = types.submodule {
    options = {
      mode = opt (types.nullOr t.probeMode) "Mode for this framework's evidence probe at this scope; null defers to broader scopes." "observe" { default = null; };
      reason = opt (types.nullOr types.str) "Why this scope refines the framework (audit annotation)." "Q2 audit window" { default = null; };
      controlOverrides = opt (types.attrsOf (types.submodule {
        options = {
          mode = opt (types.nullOr t.probeMode) "Mode for this control." "enforce" { default = null; };
          reason = opt (types.nullOr types.str) "Why this control is overridden." "always enforce" { default = null; };
        };
      })) "Per-control overrides, keyed by control id; deep-merged per key, most specific scope wins." { } { default = { }; };
    };
  };
  complianceOpt = scope: opt (types.submodule {
    options.frameworks = opt (types.attrsOf refinement) "Per-framework refinements at ${scope} scope (RFC-0007 §3.7). Silently ignored for frameworks no channel enables." { } { default = { }; };
  }) "Compliance refinements at ${scope} scope." { } { default = { }; };

  # Irrevocable values (docs/fleet-authors.md, "Values that must never change").
  irrevocableOpt = (import ./_irrevocable.nix { inherit lib; }).declOpt;

  host = types.submodule ({ name, ... }: {
    options = {
      system = opt types.str "Platform of the host." "x86_64-linux" { };
      configuration = opt types.anything "The host's evaluated NixOS configuration (must have config.system.build.toplevel); or use nixosArgs." null { default = null; };
      nixosArgs = opt (types.nullOr types.anything) "Arguments for mkHost, called for this host when `configuration` is null (needs nixpkgs)." null { default = null; };
      tags = opt (types.listOf types.str) "Tags of ${name}." [ "web" "eu-fr" ] { default = [ ]; };
      channel = opt t.channelName "Release channel of ${name}." "stable" { };
      pubkey = opt (types.nullOr types.str) "OpenSSH ed25519 public key of the host (enrollment, signed evidence)." "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… root@${name}" { default = null; };
      pin = opt pin "Commit pin for this host (wins over tag and channel pins)." null { default = null; };
      healthChecks = probeOpt "host";
      compliance = complianceOpt "host";
      irrevocable = irrevocableOpt "host";
    };
  });

  frameworkEntry = types.oneOf [
    types.str
    (types.submodule {
      options = {
        name = opt types.str "Framework name." "nis2-essential" { };
        mode = opt (types.nullOr t.probeMode) "Definitive mode at channel scope." "enforce" { default = null; };
        reason = opt (types.nullOr types.str) "Why." null { default = null; };
      };
    })
  ];

  channel = types.submodule ({ name, ... }: {
    options = {
      description = opt types.str "What channel ${name} is for." "Main production channel." { default = ""; };
      rolloutPolicy = opt types.str "Name of the rollout policy (a key of rolloutPolicies)." "canary-conservative" { };
      freshnessWindow = opt t.positive "Maximum age, in minutes, of a signed artifact consumers accept (required; at least 2 × signingIntervalMinutes)." 1440 { };
      signingIntervalMinutes = opt t.positive "How often CI re-signs, in minutes." 60 { default = 60; };
      freshnessHardFloorMinutes = opt t.positive "Lowest freshnessWindow, in minutes, mkFleet accepts for this channel (RFC-0011 §2.3 hard floor); lower it only for a channel that signs very often." 15 { default = 60; };
      compliance = opt (types.submodule {
        options = {
          frameworks = opt (types.listOf frameworkEntry) "Frameworks whose evidence probes every host of the channel runs (names, or { name, mode, reason })." [ "anssi-bp028" ] { default = [ ]; };
          mode = opt (types.enum [ "enforce" "observe" "disabled" ]) "Default mode of the channel's evidence probes when no scope sets one." "enforce" { default = "enforce"; };
        };
      }) "Compliance frameworks of the channel." { } { default = { }; };
      pin = opt pin "Commit pin for every host of the channel (host and tag pins win)." null { default = null; };
      healthChecks = probeOpt "channel";
    };
  });

  policy = types.submodule {
    options = {
      strategy = opt (types.enum [ "canary" "all-at-once" ]) "Rollout strategy." "canary" { };
      waves = opt (types.listOf (types.submodule {
        options = {
          selector = opt selector "Hosts of this wave (a host belongs to the first wave that selects it)." { tags = [ "canary" ]; } { };
          soakMinutes = opt t.unsigned "Minutes a wave soaks before the next one starts." 30 { default = 0; };
          minSoaked = opt t.positive "Members of the wave that must have soaked (Converged, enforce probes passing) before the wave is promoted; every online member must have soaked as well." 2 { default = 1; };
          waitForNeverSeenMinutes = opt (types.nullOr t.unsigned) "Minutes after the wave starts during which a member that never sent a heartbeat holds the wave; after that it is skipped and named. null waits indefinitely." 60 { default = null; };
          allowNoEnforceProbes = opt (types.nullOr types.bool) "Promote the wave even when its soaked members declare no enforce probe (nothing was checked but activation and soak). null takes the policy's allowNoEnforceProbes." true { default = null; };
          approval = opt (types.enum [ "auto" "manual" ]) "Whether the wave starts on its own once the previous wave is promoted (auto), or only after an operator approves it (manual: `nixfleet rollout approve`; docs/operators.md)." "manual" { default = "auto"; };
        };
      })) "Waves, in order." [ { selector.all = true; soakMinutes = 0; } ] { default = [ { selector.all = true; soakMinutes = 0; } ]; };
      allowNoEnforceProbes = opt types.bool "Default of waves[].allowNoEnforceProbes for every wave of the policy: promote waves whose soaked members declare no enforce probe." false { default = false; };
      healthGate = opt (t.healthGate { input = true; }) "Conditions every host checks after activation, as enforce probes (a breach holds the wave and applies onHealthFailure)." { systemdFailedUnits.max = 0; } { default = { }; };
      onHealthFailure = opt (types.enum [ "halt" "rollback-and-halt" ]) "What agents do on sustained enforce-probe failure." "rollback-and-halt" { default = "rollback-and-halt"; };
      operatorClear = opt types.bool "Whether an operator may clear a Failed or Reverted rollout of this policy (`nixfleet rollout clear`) so the rollout resumes; false: only a new release moves the channel on." true { default = false; };
    };
  };

  operator = types.submodule {
    options = {
      role = opt (types.enum [ "viewer" "operator" "admin" ]) "What the operator may do on the control plane: viewer reads; operator also pauses, resumes and approves; admin also aborts and clears (docs/operators.md, Roles)." "operator" { };
    };
  };

  edge = types.submodule {
    options = {
      before = opt types.str "Updated first." "db-primary" { };
      after = opt types.str "Updated only once `before` has converged." "app-01" { };
      reason = opt (types.nullOr types.str) "Why the ordering exists." "schema migrations" { default = null; };
    };
  };

  budget = types.submodule {
    options = {
      selector = opt selector "Hosts the budget covers." { tags = [ "etcd" ]; } { };
      maxInFlight = opt (types.nullOr t.positive) "At most this many covered hosts in flight at once (set exactly one of maxInFlight, maxInFlightPct)." 1 { default = null; };
      maxInFlightPct = opt (types.nullOr (types.ints.between 1 100)) "At most this percentage of covered hosts in flight." 50 { default = null; };
    };
  };
in
{
  options = {
    hosts = opt (types.attrsOf host) "Hosts, by name." { } { default = { }; };
    tags = opt (types.attrsOf (types.submodule ({ name, ... }: {
      options = {
        description = opt types.str "What tag ${name} means." "Expected to be reachable 24/7." { default = ""; };
        pin = opt pin "Commit pin for hosts carrying the tag." null { default = null; };
        healthChecks = probeOpt "tag";
        compliance = complianceOpt "tag";
        irrevocable = irrevocableOpt "tag";
      };
    }))) "Tags, by name (descriptive; hosts reference them freely)." { } { default = { }; };
    channels = opt (types.attrsOf channel) "Channels (release trains), by name." { } { default = { }; };
    rolloutPolicies = opt (types.attrsOf policy) "Rollout policies, by name." { } { default = { }; };
    edges = opt (types.listOf edge) "Host ordering constraints within a rollout." [ ] { default = [ ]; };
    channelEdges = opt (types.listOf edge) "Channel ordering: `before` converges before a rollout opens on `after`." [ ] { default = [ ]; };
    disruptionBudgets = opt (types.listOf budget) "Limits on hosts in flight." [ ] { default = [ ]; };
    operators = opt (types.attrsOf operator) "Operators allowed to act on rollouts, by the name of their certificate (CN=operator:<name>), with their role. Signed with the fleet: the control plane holds no role of its own, and refuses every action when this is empty." { alice = { role = "admin"; }; bob = { role = "viewer"; }; } { default = { }; };
    acceptWarnings = opt (types.attrsOf types.str) "Safety-relevant warnings this fleet accepts, by stable id (printed with each warning), each with the reason it is intended; any other safety-relevant warning refuses the fleet (docs/fleet-authors.md, Warnings)." { "empty-wave:waves.edge[0]" = "edge has no canary yet; its hosts soak on stable first"; } { default = { }; };
    healthChecks = probeOpt "fleet";
    compliance = complianceOpt "fleet";
    revocations = opt (types.listOf (types.submodule {
      options = {
        hostname = opt t.hostname "Host whose certificates are revoked." "web-01" { };
        notBefore = opt t.timestamp "Certificates issued before this instant are refused." "2026-05-01T00:00:00Z" { };
        reason = opt (types.nullOr types.str) "Why." "host decommissioned" { default = null; };
        revokedBy = opt (types.nullOr types.str) "Who." "ops@example.com" { default = null; };
      };
    })) "Agent-certificate revocations (signed sidecar)." [ ] { default = [ ]; };
    bootstrapNonces = opt (types.listOf (types.submodule {
      options = {
        nonce = opt t.nonce "Bootstrap-token nonce (32 hex characters)." "0123456789abcdef0123456789abcdef" { };
        hostname = opt t.hostname "Host the token was minted for." "web-01" { };
        expiresAt = opt t.timestamp "When the nonce stops being accepted." "2026-06-01T00:00:00Z" { };
        mintedAt = opt (types.nullOr t.timestamp) "When the token was minted." null { default = null; };
        mintedBy = opt (types.nullOr types.str) "Who minted it." null { default = null; };
      };
    })) "Allowlist of bootstrap-token nonces (signed sidecar)." [ ] { default = [ ]; };
  };
}
