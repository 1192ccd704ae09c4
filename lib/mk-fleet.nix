# mkFleet: the pure fleet evaluator (RFC-0001, RFC-0007 §3–§4, Boundary
# contracts §I.1). Turns a fleet description into fleet.resolved v1 and the
# projections the release step and the agent module consume.
#
# Owns: composing the concerns under ./mk-fleet/ (selectors, waves, pins,
# probes, invariants, merge) in the order validate -> check invariants ->
# project. Never: IO, signing, building closures (the release step does), or
# nixpkgs: builtins only, so `nix-instantiate --eval` works on any machine
# with a Nix binary.
#
# Usage:
#   let fleetLib = import ./lib; in
#   fleetLib.mkFleet { hosts = …; channels = …; rolloutPolicies = …; }
#   nix-instantiate --eval --strict --json -A resolved fleet.nix
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    foldl'
    length
    mapAttrs
    seq
    sort
    trace
    ;

  schema = import ./schema;
  inputContract = schema.loadContract ../contracts/fleet-input.nix;
  metaType = import ../contracts/_meta.nix { inherit (schema) lib; };

  selectors = import ./mk-fleet/selectors.nix;
  waves = import ./mk-fleet/waves.nix;
  pins = import ./mk-fleet/pins.nix;
  probes = import ./mk-fleet/probes.nix;
  invariants = import ./mk-fleet/invariants.nix;
  merge = import ./mk-fleet/merge.nix;
  diagnostics = import ./mk-fleet/diagnostics.nix;
  irrevocable = import ./mk-fleet/irrevocable.nix;
  complianceGate = import ./compliance/gate.nix;

  # The nullable envelope mkFleet leaves for the release step to fill.
  unsignedMeta = {
    schemaVersion = 1;
    signedAt = null;
    ciCommit = null;
  };

  filterAttrs =
    pred: set:
    builtins.listToAttrs (
      map (n: {
        name = n;
        value = set.${n};
      }) (builtins.filter (n: pred n set.${n}) (attrNames set))
    );

  bullet = msgs: concatStringsSep "\n" (map (m: "  - ${m}") msgs);

  # Contract validation (types, required fields, enums, ranges, probe kinds
  # and their required fields, intervalSeconds > 0, unknown keys), then
  # defaults. One error listing every problem with its option path.
  validate =
    input:
    let
      errors = schema.validate inputContract input;
    in
    if errors == [ ] then
      schema.applyDefaults inputContract input
    else
      throw "fleet: ${toString (length errors)} error(s) in the fleet description (contracts/fleet-input.nix):\n${bullet errors}\nFix: correct each option above; docs/fleet-authors.md describes every key.";

  failInvariants =
    errors:
    if length errors == 1 then
      throw (builtins.head errors)
    else
      throw "fleet: ${toString (length errors)} invariant violations:\n${bullet errors}";

  /**
    mkFleet with options. `mkHost` (from a nixpkgs-enabled flake, e.g.
    `nixfleet.lib.mkHost`) is called as
    `mkHost ({ hostName = <name>; platform = <system>; fleetHealthChecks =
    healthChecks.<name>; } // nixosArgs)` for
    hosts that give `nixosArgs` instead of `configuration`; without it such
    hosts are an error.

    Inputs: `{ mkHost ? null }`, then the fleet description (see
    contracts/fleet-input.nix and docs/fleet-authors.md).

    Output attributes:
    - `resolved`: fleet.resolved v1 (contracts/fleet-resolved.nix), meta nulls;
    - `nixosConfigurations.<host>`: the hosts' configurations, passed through;
    - `healthChecks.<host>`: the effective probe set, health-checks.json v1;
    - `irrevocable.<host>.<name>`: `{ value; sensitive; source; }`, the
      values fleet.nix and the host's configuration (`nixfleet.irrevocable`)
      declare must never change (lib/mk-fleet/irrevocable.nix); forcing it
      evaluates the hosts' configurations;
    - `revocations`, `bootstrapNonces`: the signed-sidecar projections
      (sorted by hostname then notBefore, and by nonce), meta nulls;
    - `warnings`: list of strings (each ending in its stable id), also
      printed with builtins.trace;
    - `diagnostics`: the same warnings as `{ id, severity, accepted, message }`
      (lib/mk-fleet/diagnostics.nix); unlike every other projection it does
      not throw for unaccepted safety warnings, so tools can report them;
    - `compliance`: `{ findings, failures }` of the static compliance gate
      (lib/compliance/gate.nix); like `diagnostics` it does not throw for a
      failing control;
    - `input`: the description as given (mergeFleets composes these).
    Every projection but `nixosConfigurations` and `input` throws when an
    invariant is violated; every projection but those, `diagnostics` and
    `compliance` throws when an enforce-mode compliance control fails, or a
    safety-relevant warning is not accepted in `acceptWarnings`.

    Type: mkFleetWith :: { mkHost ? (attrset -> nixosConfiguration) } -> attrset -> fleet

    Example: (mkFleetWith { } (import ./fleet-input.nix)).resolved.waves.stable
      => [ { hosts = [ "agent-01" ]; soakMinutes = 30; } … ]
  */
  mkFleetWith =
    {
      mkHost ? null,
    }:
    input:
    let
      cfg = validate input;

      configurations = mapAttrs (
        name: h:
        if h.configuration != null then
          h.configuration
        else if h.nixosArgs != null && mkHost != null then
          mkHost (
            {
              hostName = name;
              platform = h.system;
              # RFC-0007 §5: the effective probe set flows back into the
              # host's closure (rendered by the agent module), so the
              # signed closure hash covers it. Unguarded: the invariants
              # inspect the configurations themselves; every signed
              # projection is still guarded.
              fleetHealthChecks = probeSets.healthChecks.${name};
            }
            // h.nixosArgs
          )
        else
          null
      ) cfg.hosts;

      # A wave's allowNoEnforceProbes falls back to its policy's: the signed
      # waves carry the effective value, so readers never look further.
      normalizeWave = p: w: {
        selector = selectors.normalize w.selector;
        inherit (w) soakMinutes minSoaked waitForNeverSeenMinutes approval;
        allowNoEnforceProbes =
          if w.allowNoEnforceProbes == null then p.allowNoEnforceProbes else w.allowNoEnforceProbes;
      };
      policies = mapAttrs (
        _: p: {
          inherit (p) strategy healthGate onHealthFailure operatorClear;
          waves = map (normalizeWave p) p.waves;
        }
      ) cfg.rolloutPolicies;
      budgets = map (b: b // { selector = selectors.normalize b.selector; }) cfg.disruptionBudgets;

      index = selectors.mkIndex cfg.hosts;
      probeSets = probes.resolveProbes cfg;
      wavesOut = waves.resolveWaves {
        inherit index;
        inherit (cfg) channels;
        rolloutPolicies = policies;
      };
      budgetsOut = waves.resolveBudgets index budgets;

      errors =
        invariants.errors {
          inherit cfg configurations;
          hasMkHost = mkHost != null;
          probeErrors = probeSets.errors;
        }
        ++ complianceGate.overrideErrors cfg;

      # The static compliance gate: per host, every control of every
      # framework its channel enables, over the host's configuration.
      # Hosts whose channel enables no framework have no entry.
      complianceFindings = mapAttrs (
        name: _:
        complianceGate.hostFindings {
          config = if configurations.${name} == null then { } else configurations.${name}.config or { };
          settings = probeSets.complianceSettings.${name};
        }
      ) (filterAttrs (_: s: s != { }) probeSets.complianceSettings);
      complianceFailures = complianceGate.failures complianceFindings;

      known = {
        inherit (cfg) hosts channels;
      };
      selectorWarnings =
        concatMap (
          p:
          let
            ws = policies.${p}.waves;
          in
          concatMap (i: selectors.unknownRefs known "rolloutPolicies.${p}.waves[${toString i}].selector" (builtins.elemAt ws i).selector) (
            builtins.genList (i: i) (length ws)
          )
        ) (attrNames policies)
        ++ concatMap (
          i: selectors.unknownRefs known "disruptionBudgets[${toString i}].selector" (builtins.elemAt budgets i).selector
        ) (builtins.genList (i: i) (length budgets));

      diags = diagnostics.classify {
        warnings = selectorWarnings ++ wavesOut.warnings ++ budgetsOut.warnings ++ probeSets.warnings;
        accept = cfg.acceptWarnings;
      };
      blocked = diagnostics.blocking diags;
      warnings = map diagnostics.format diags;

      invariantsHold = if errors != [ ] then failInvariants errors else true;
      # Shared thunk: invariants and safety warnings are checked, and the
      # warnings traced, once, when the first guarded projection is forced.
      checked =
        if !invariantsHold then
          false
        else if complianceFailures != [ ] then
          throw (complianceGate.refusal complianceFailures)
        else if blocked != [ ] then
          throw (diagnostics.refusal blocked)
        else
          foldl' (acc: w: trace "warning: ${w}" acc) true warnings;
      guard = v: seq checked v;

      pinCtx = {
        inherit (cfg) tags channels;
      };

      resolved = {
        schemaVersion = 1;
        hosts = mapAttrs (
          _: h:
          let
            pin = pins.resolvePin pinCtx h;
          in
          {
            inherit (h)
              system
              tags
              channel
              pubkey
              ;
            closureHash = null;
          }
          // (if pin == null then { } else { inherit pin; })
        ) cfg.hosts;
        channels = mapAttrs (_: ch: {
          inherit (ch)
            rolloutPolicy
            freshnessWindow
            signingIntervalMinutes
            ;
          compliance = {
            frameworks = map (e: (probes.frameworkEntry e).name) ch.compliance.frameworks;
            inherit (ch.compliance) mode;
          };
        }) cfg.channels;
        rolloutPolicies = policies;
        inherit (wavesOut) waves;
        edges = map (e: { inherit (e) before after reason; }) cfg.edges;
        channelEdges = map (e: { inherit (e) before after reason; }) cfg.channelEdges;
        disruptionBudgets = budgetsOut.budgets;
        operators = mapAttrs (_: o: { inherit (o) role; }) cfg.operators;
        # Recorded in the signed artifact: passes by id, observe-mode
        # failures and disabled controls in full.
        complianceFindings = mapAttrs (_: complianceGate.record) complianceFindings;
        meta = unsignedMeta;
      };

      # Its own projection, not an invariant: reading `nixfleet.irrevocable`
      # evaluates each host's configuration, which only the release needs.
      irrevocableOut = irrevocable.resolveIrrevocable { inherit cfg configurations; };
      irrevocableValues =
        if irrevocableOut.errors == [ ] then irrevocableOut.values else failInvariants irrevocableOut.errors;

      byHostThen = a: b: if a.hostname != b.hostname then a.hostname < b.hostname else a.notBefore < b.notBefore;
    in
    {
      _type = "nixfleet-fleet";
      inherit input;
      resolved = guard resolved;
      healthChecks = guard probeSets.healthChecks;
      irrevocable = guard irrevocableValues;
      revocations = guard {
        schemaVersion = 1;
        revocations = sort byHostThen cfg.revocations;
        meta = unsignedMeta;
      };
      bootstrapNonces = guard {
        schemaVersion = 1;
        bootstrapNonces = sort (a: b: a.nonce < b.nonce) cfg.bootstrapNonces;
        meta = unsignedMeta;
      };
      warnings = guard warnings;
      diagnostics = seq invariantsHold diags;
      # Like diagnostics, never throws for a failing control, so the release
      # can refuse with a typed code naming each one.
      compliance = seq invariantsHold {
        findings = complianceFindings;
        failures = complianceFailures;
      };
      # Per host, so building one host never evaluates the others.
      nixosConfigurations = mapAttrs (
        name: c:
        if c != null then
          c
        else
          throw "fleet: hosts.${name}.configuration: missing (or nixosArgs without mkHost). Fix: set it to the host's evaluated NixOS configuration."
      ) configurations;
    };

  /**
    The fleet evaluator: `mkFleetWith { }`.

    Type: mkFleet :: attrset -> fleet

    Example: (mkFleet {
        hosts.web-01 = { system = "x86_64-linux"; configuration = self.nixosConfigurations.web-01; channel = "stable"; };
        channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
        rolloutPolicies.all-at-once.strategy = "all-at-once";
      }).resolved.waves.stable
      => [ { hosts = [ "web-01" ]; soakMinutes = 0; } ]
  */
  mkFleet = mkFleetWith { };

  /**
    Strict merge of fleets (mkFleet results or raw descriptions), evaluated
    as one fleet: same host twice, or a channel, tag, fleet-scope probe or
    compliance refinement declared twice with different values, is an error;
    rollout policies: later wins; lists concatenate. See lib/mk-fleet/merge.nix.

    Type: mergeFleets :: [ (fleet | attrset) ] -> fleet

    Example: mergeFleets [ (import ./fleet-paris.nix) (import ./fleet-lyon.nix) ]
  */
  mergeFleets = mergeFleetsWith { };

  /**
    mergeFleets with mkFleetWith's options (e.g. `{ mkHost = …; }`): the
    merged input is evaluated by `mkFleetWith options`.

    Type: mergeFleetsWith :: { mkHost ? function } -> [ (fleet | attrset) ] -> fleet

    Example: mergeFleetsWith { mkHost = nixfleet.lib.mkHost; } [ paris lyon ]
  */
  mergeFleetsWith = options: fleets: mkFleetWith options (merge.mergeInputs fleets);

  /**
    Stamps the signing envelope on a fleet's signed artifacts (`resolved`,
    `revocations`, `bootstrapNonces`) — or on one artifact with a `meta`.
    The release step calls it after building; values are validated against
    contracts/_meta.nix.

    Type: withSignature :: { signedAt :: string, ciCommit :: string, signatureAlgorithm ? string } -> (fleet | artifact) -> (fleet | artifact)

    Example: (withSignature { signedAt = "2026-05-16T01:00:00Z"; ciCommit = "3f2a9c1d0e4b"; } fleet).resolved.meta
      => { schemaVersion = 1; signedAt = "2026-05-16T01:00:00Z"; ciCommit = "3f2a9c1d0e4b"; signatureAlgorithm = "ed25519"; }
  */
  withSignature =
    {
      signedAt,
      ciCommit,
      signatureAlgorithm ? "ed25519",
    }:
    target:
    let
      meta = {
        schemaVersion = 1;
        inherit signedAt ciCommit signatureAlgorithm;
      };
      errors = schema.validateAt [ "meta" ] metaType meta;
      stamp = artifact: artifact // { inherit meta; };
    in
    if errors != [ ] then
      throw "withSignature: ${concatStringsSep "; " errors}. Fix: signedAt is an RFC 3339 UTC timestamp ending in Z, signatureAlgorithm is ed25519 or ecdsa-p256."
    else if (target._type or null) == "nixfleet-fleet" then
      target
      // {
        resolved = stamp target.resolved;
        revocations = stamp target.revocations;
        bootstrapNonces = stamp target.bootstrapNonces;
      }
    else if target ? meta then
      stamp target
    else
      throw "withSignature: expected a mkFleet result or an artifact with a meta attribute. Fix: pass the value mkFleet returned (or its .resolved).";
in
{
  inherit
    mkFleet
    mkFleetWith
    mergeFleets
    mergeFleetsWith
    withSignature
    ;
}
