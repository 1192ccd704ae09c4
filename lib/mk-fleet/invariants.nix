# mkFleet's invariants (RFC-0001 §4.2, RFC-0007 §4, RFC-0011 §2.3,
# Boundary contracts §I.1), grouped in one place. Each check yields error
# strings "fleet: <path>: <what is wrong>. Fix: <how>"; mkFleet throws them
# all at once.
#
# Owns: cross-field rules the input contract cannot express (references
# between hosts, channels and policies, edge DAGs, freshness arithmetic,
# compliance framework names, configurations). Never: per-field types,
# required fields, enums and ranges — contracts/fleet-input.nix checks those
# first, so every value seen here is well-typed and has its defaults.
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elemAt
    filter
    genList
    groupBy
    isAttrs
    length
    listToAttrs
    match
    toJSON
    ;

  selectors = import ./selectors.nix;
  graph = import ./graph.nix;
  pins = import ./pins.nix;
  probes = import ./probes.nix;
  frameworks = import ../compliance-frameworks.nix;

  knownFrameworks = concatStringsSep ", " (attrNames frameworks);

  # Same patterns as contracts/_types.nix `hostname` and `channelName`.
  hostnamePattern = "[a-z0-9][a-z0-9._-]{0,62}";
  channelPattern = "[a-z0-9_-]+";
  # Same as OPERATOR_NAME in ts/cli/pki/operator-cert.ts.
  operatorPattern = "[A-Za-z0-9][A-Za-z0-9._@-]{0,62}";

  lowerCase = builtins.replaceStrings upper lower;
  upper = builtins.genList (i: builtins.substring i 1 "ABCDEFGHIJKLMNOPQRSTUVWXYZ") 26;
  lower = builtins.genList (i: builtins.substring i 1 "abcdefghijklmnopqrstuvwxyz") 26;

  indexed = f: list: concatLists (genList (i: f i (elemAt list i)) (length list));

  names = set: concatStringsSep ", " (attrNames set);

  /**
    Whether `c` looks like an evaluated NixOS configuration: it has
    `config.system.build.toplevel` (checked without evaluating the toplevel).

    Type: hasToplevel :: any -> bool

    Example: hasToplevel { config.system.build = { }; } => false
  */
  hasToplevel =
    c:
    isAttrs c
    && c ? config
    && isAttrs c.config
    && c.config ? system
    && isAttrs c.config.system
    && c.config.system ? build
    && isAttrs c.config.system.build
    && c.config.system.build ? toplevel;

  unknownFramework =
    path: name:
    if frameworks ? ${name} then
      [ ]
    else
      [
        "fleet: ${path}: unknown compliance framework \"${name}\"; known frameworks: ${knownFrameworks} (declared in lib/compliance-frameworks.nix). Fix: use one of the known names, or add the framework to lib/compliance-frameworks.nix."
      ];

  refinementErrors =
    prefix: refinements: concatMap (f: unknownFramework "${prefix}compliance.frameworks.${f}" f) (attrNames refinements);

  # "Unknown host" and "across channels" errors of one host edge.
  hostEdgeErrors =
    cfg: i: e:
    let
      path = "edges[${toString i}]";
      unknown = filter (h: !(cfg.hosts ? ${h})) [
        e.before
        e.after
      ];
      cb = cfg.hosts.${e.before}.channel;
      ca = cfg.hosts.${e.after}.channel;
    in
    if unknown != [ ] then
      map (
        h:
        "fleet: ${path}: unknown host \"${h}\". Fix: name a host declared under hosts (edges take exact names, no wildcards)."
      ) unknown
    else if cb != ca then
      [
        "fleet: ${path}: host edge across channels: \"${e.before}\" is on channel ${cb} and \"${e.after}\" on channel ${ca}; host edges order hosts within one rollout. Fix: remove the edge and order the channels instead with channelEdges = [ { before = \"${cb}\"; after = \"${ca}\"; } ]."
      ]
    else
      [ ];

  cycleError =
    what: path: arcs:
    let
      cycle = graph.findCycle arcs;
      byPair = listToAttrs (
        genList (i: {
          name = "${(elemAt arcs i).before}\n${(elemAt arcs i).after}";
          value = i;
        }) (length arcs)
      );
      used = genList (
        i: "${path}[${toString byPair."${elemAt cycle i}\n${elemAt cycle (i + 1)}"}]"
      ) (length cycle - 1);
    in
    if cycle == null then
      [ ]
    else
      [
        "fleet: ${path}: ${what} cycle ${concatStringsSep " -> " cycle} (${concatStringsSep ", " used}). Fix: remove one of these edges; ${path} must form a DAG (`before` goes first, `after` waits for it)."
      ];

  /**
    Every invariant violation of a validated fleet input.

    Inputs:
    - `cfg`: the fleet input after contract validation and defaults;
    - `configurations`: `hosts.<h>` -> effective configuration (null when
      neither `configuration` nor mkHost + `nixosArgs` provides one);
    - `hasMkHost`: whether mkFleet was given mkHost;
    - `probeErrors`: lazily, the errors of probes.nix (duplicate names in one
      scope), only consulted when every host's channel exists.

    Type: errors :: { cfg, configurations, hasMkHost :: bool, probeErrors :: [ string ] } -> [ string ]

    Example: errors { cfg = …; configurations = …; hasMkHost = false; probeErrors = [ ]; }
      => [ "fleet: hosts.web-01.channel: unknown channel \"stabel\"; known channels: edge, stable. Fix: …" ]
  */
  errors =
    {
      cfg,
      configurations,
      hasMkHost,
      probeErrors,
    }:
    let
      hostNames = attrNames cfg.hosts;
      channelNames = attrNames cfg.channels;

      unknownChannels = concatMap (
        n:
        let
          c = cfg.hosts.${n}.channel;
        in
        if cfg.channels ? ${c} then
          [ ]
        else
          [
            "fleet: hosts.${n}.channel: unknown channel \"${c}\"; known channels: ${names cfg.channels}. Fix: set it to one of the known channels, or declare channels.${c}."
          ]
      ) hostNames;

      unknownPolicies = concatMap (
        n:
        let
          p = cfg.channels.${n}.rolloutPolicy;
        in
        if cfg.rolloutPolicies ? ${p} then
          [ ]
        else
          [
            "fleet: channels.${n}.rolloutPolicy: unknown rollout policy \"${p}\"; known policies: ${names cfg.rolloutPolicies}. Fix: set it to one of the known policies, or declare rolloutPolicies.${p}."
          ]
      ) channelNames;

      configurationErrors = concatMap (
        n:
        let
          h = cfg.hosts.${n};
          c = configurations.${n};
          path = "hosts.${n}.configuration";
        in
        if h.configuration != null && h.nixosArgs != null then
          [
            "fleet: hosts.${n}: both configuration and nixosArgs are set. Fix: keep one (configuration = a nixosConfiguration; nixosArgs = arguments for mkHost)."
          ]
        else if c == null && h.nixosArgs != null && !hasMkHost then
          [
            "fleet: hosts.${n}.nixosArgs: needs mkHost, which needs nixpkgs and was not given to mkFleet. Fix: use (import ./lib).mkFleetWith { mkHost = nixfleet.lib.mkHost; }, or set ${path} to an evaluated nixosConfiguration."
          ]
        else if c == null then
          [
            "fleet: ${path}: missing. Fix: set it to the host's evaluated NixOS configuration (e.g. self.nixosConfigurations.${n}), or give nixosArgs for mkHost."
          ]
        else if !(hasToplevel c) then
          [
            "fleet: ${path}: has no config.system.build.toplevel, so it is not an evaluated NixOS configuration. Fix: pass a nixosConfiguration (e.g. self.nixosConfigurations.${n}); a test stand-in is { config.system.build.toplevel = <derivation>; }."
          ]
        else
          [ ]
      ) hostNames;

      channelErrors = concatMap (
        n:
        let
          ch = cfg.channels.${n};
          p = "channels.${n}";
          entries = map probes.frameworkEntry ch.compliance.frameworks;
          byName = groupBy (e: e.name) entries;
          dupFrameworks = filter (f: length byName.${f} > 1) (attrNames byName);
        in
        (
          if ch.freshnessWindow < ch.freshnessHardFloorMinutes then
            [
              "fleet: ${p}.freshnessWindow: ${toString ch.freshnessWindow} minutes is below the hard floor of ${toString ch.freshnessHardFloorMinutes} minutes (RFC-0011 §2.3; ${p}.freshnessHardFloorMinutes). Fix: raise freshnessWindow to at least ${toString ch.freshnessHardFloorMinutes} (24 h = 1440 is typical); lower the floor only for a channel that signs very often."
            ]
          else
            [ ]
        )
        ++ (
          if ch.freshnessWindow < 2 * ch.signingIntervalMinutes then
            [
              "fleet: ${p}.freshnessWindow: ${toString ch.freshnessWindow} minutes is less than 2 × signingIntervalMinutes (2 × ${toString ch.signingIntervalMinutes} = ${toString (2 * ch.signingIntervalMinutes)}); hosts would refuse the artifacts between two signings. Fix: raise freshnessWindow to at least ${toString (2 * ch.signingIntervalMinutes)}, or lower signingIntervalMinutes."
            ]
          else
            [ ]
        )
        ++ indexed (i: e: unknownFramework "${p}.compliance.frameworks[${toString i}]" e.name) entries
        ++ map (
          f:
          "fleet: ${p}.compliance.frameworks: \"${f}\" is listed more than once. Fix: list each framework once."
        ) dupFrameworks
      ) channelNames;

      complianceErrors =
        refinementErrors "" cfg.compliance.frameworks
        ++ concatMap (t: refinementErrors "tags.${t}." cfg.tags.${t}.compliance.frameworks) (attrNames cfg.tags)
        ++ concatMap (h: refinementErrors "hosts.${h}." cfg.hosts.${h}.compliance.frameworks) hostNames;

      hostEdges = indexed (hostEdgeErrors cfg) cfg.edges;

      channelEdgeErrors =
        let
          unknown = indexed (
            i: e:
            map (
              c:
              "fleet: channelEdges[${toString i}]: unknown channel \"${c}\"; known channels: ${names cfg.channels}. Fix: name a declared channel."
            ) (filter (c: !(cfg.channels ? ${c})) [
              e.before
              e.after
            ])
          ) cfg.channelEdges;
        in
        if unknown != [ ] then unknown else cycleError "channel ordering" "channelEdges" cfg.channelEdges;

      budgetErrors = indexed (
        i: b:
        let
          both = b.maxInFlight != null && b.maxInFlightPct != null;
          none = b.maxInFlight == null && b.maxInFlightPct == null;
        in
        if both || none then
          [
            "fleet: disruptionBudgets[${toString i}]: set exactly one of maxInFlight and maxInFlightPct (${
              if both then "both are set" else "neither is set"
            }). Fix: keep maxInFlight (a host count) or maxInFlightPct (a percentage of covered hosts)."
          ]
        else
          [ ]
      ) cfg.disruptionBudgets;

      selectorErrors =
        concatMap (
          p:
          indexed (
            i: w: selectors.emptyErrors "rolloutPolicies.${p}.waves[${toString i}].selector" w.selector
          ) cfg.rolloutPolicies.${p}.waves
        ) (attrNames cfg.rolloutPolicies)
        ++ indexed (i: b: selectors.emptyErrors "disruptionBudgets[${toString i}].selector" b.selector) cfg.disruptionBudgets;

      duplicateNonces =
        let
          groups = groupBy (n: n.nonce) cfg.bootstrapNonces;
        in
        map (
          n:
          "fleet: bootstrapNonces: nonce ${n} is listed ${toString (length groups.${n})} times (${toJSON (map (x: x.hostname) groups.${n})}). Fix: keep one entry per nonce."
        ) (filter (n: length groups.${n} > 1) (attrNames groups));

      # Host names become certificate CNs, URL segments and health-checks.json
      # `hostname`; channel names appear in rollout ids (`<channel>@<ref>`).
      nameErrors =
        map (
          n:
          "fleet: hosts.${n}: host name does not match ${hostnamePattern} (it becomes the agent certificate's CN and a URL segment). Fix: rename the host, e.g. ${toJSON (builtins.replaceStrings [ "_" ] [ "-" ] (lowerCase n))}."
        ) (filter (n: match hostnamePattern n == null) hostNames)
        ++ map (
          n:
          "fleet: channels.${n}: channel name does not match ${channelPattern} (it appears in rollout ids <channel>@<ref>). Fix: rename the channel, e.g. ${toJSON (builtins.replaceStrings [ "_" ] [ "-" ] (lowerCase n))}."
        ) (filter (n: match channelPattern n == null) channelNames)
        ++ map (
          n:
          "fleet: operators.${n}: operator name does not match ${operatorPattern} (it is what follows operator: in the operator certificate's CN). Fix: rename the operator to the --name given to nixfleet mint-operator-cert."
        ) (filter (n: match operatorPattern n == null) (attrNames cfg.operators));

      structural = unknownChannels ++ unknownPolicies;
    in
    nameErrors
    ++ structural
    ++ configurationErrors
    ++ channelErrors
    ++ complianceErrors
    ++ (if hostEdges != [ ] then hostEdges else cycleError "host ordering" "edges" cfg.edges)
    ++ channelEdgeErrors
    ++ budgetErrors
    ++ selectorErrors
    ++ duplicateNonces
    ++ pins.errors { inherit (cfg) tags channels; } cfg.hosts
    # Probe scopes look channels up: only meaningful once every host's channel exists.
    ++ (if unknownChannels == [ ] then probeErrors else [ ]);
in
{
  inherit errors hasToplevel;
}
