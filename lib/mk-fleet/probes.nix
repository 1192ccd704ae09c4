# Per-host effective probe sets (RFC-0007 §3–§4) and the compliance
# shorthand (RFC-0007 §3.6–§3.7).
#
# Owns: `healthChecks.<host>` of mkFleet's result (the health-checks.json
# shape of contracts/health-checks.nix), probe-shadowing warnings, and the
# probe-scope errors (duplicate name in one scope). Never: per-field probe
# validation (kind, required fields, mode, intervalSeconds > 0) — the input
# contract (contracts/_types.nix `probe`) does that.
#
# Resolution: effective = fleet // tag // channel // host, whole probes (a
# more specific declaration of a name replaces the broader one in full, never
# field-merged), and every replacement is reported as a warning.
#
#   - Tag scope: the union of the host's tags' healthChecks. A host's tags
#     form ONE scope, so two of its tags declaring the same probe name with
#     different definitions is a duplicate-in-one-scope error — unless the
#     channel or the host declares that name too (the more specific scope
#     decides). Identical declarations are fine.
#   - Channel scope: channels.<c>.healthChecks plus one `evidence-<framework>`
#     probe per framework of channels.<c>.compliance.frameworks. A name in both
#     is a duplicate-in-one-scope error.
#
# Builtins only.
let
  inherit (builtins)
    all
    attrNames
    concatLists
    concatMap
    concatStringsSep
    filter
    foldl'
    groupBy
    head
    isString
    length
    listToAttrs
    map
    mapAttrs
    ;

  inherit (import ./selectors.nix) showNames;

  /**
    Interval of the synthesised `evidence-<framework>` probes, in seconds
    (the value RFC-0007 §3.1 uses for evidence probes).

    Type: evidenceIntervalSeconds :: int
  */
  evidenceIntervalSeconds = 60;

  # Default evidence file the compliance collector writes (RFC-0007 §3.2).
  evidencePath = "/var/lib/nixfleet-compliance/evidence.json";

  /**
    A channel framework entry (a bare name or `{ name, mode, reason }`) as
    `{ name, mode, reason }`. Bare names contribute mode = null: they defer
    to broader scopes (RFC-0007 §3.7).

    Type: frameworkEntry :: (string | attrset) -> { name, mode, reason }

    Example: frameworkEntry "nis2-essential" => { name = "nis2-essential"; mode = null; reason = null; }
  */
  frameworkEntry =
    e:
    if isString e then
      {
        name = e;
        mode = null;
        reason = null;
      }
    else
      {
        inherit (e) name;
        mode = e.mode or null;
        reason = e.reason or null;
      };

  /**
    The synthesised evidence probe for one framework on one host. `scopes` are
    the refinements that apply, broadest first (fleet, the host's tags in the
    order of its `tags` list, the channel entry, the host), each
    `{ mode, reason, controlOverrides }`. Merge rules of RFC-0007 §3.7: mode —
    most specific non-null, else the channel's compliance.mode; reason — most
    specific non-empty; controlOverrides — per-key, most specific scope
    replaces the whole entry.

    Type: evidenceProbe :: { framework :: string, defaultMode :: string, scopes :: [ attrset ] } -> probe

    Example: (evidenceProbe { framework = "nis2-essential"; defaultMode = "enforce";
               scopes = [ { mode = "observe"; reason = "Q2"; controlOverrides = { }; } { mode = null; reason = null; } ]; }).mode
      => "observe"
  */
  evidenceProbe =
    {
      framework,
      defaultMode,
      scopes,
    }:
    {
      kind = "evidence";
      inherit framework evidencePath;
      intervalSeconds = evidenceIntervalSeconds;
      mode = foldl' (acc: s: if s.mode != null then s.mode else acc) defaultMode scopes;
      reason = foldl' (acc: s: if s.reason != null && s.reason != "" then s.reason else acc) null scopes;
      controlOverrides = foldl' (acc: s: acc // (s.controlOverrides or { })) { } scopes;
    };

  /**
    Everything probe-related for a validated fleet input `cfg`:
    `healthChecks.<host>` (health-checks.json, schemaVersion 1),
    `complianceSettings.<host>.<framework>` (`{ mode, reason,
    controlOverrides }`, what the evidence probe of that framework carries), `warnings`
    (shadowing, aggregated per probe and scope pair, naming the hosts) and
    `errors` (duplicate probe names in one scope).

    Type: resolveProbes :: cfg -> { healthChecks, complianceSettings, warnings :: [ { id, safety, message } ], errors :: [ string ] }

    Example: (resolveProbes cfg).healthChecks.web-01.probes.heartbeat.mode => "observe"
  */
  resolveProbes =
    cfg:
    let
      fleetScope = cfg.healthChecks;
      fleetRefinements = cfg.compliance.frameworks;

      # Per channel, computed once: explicit probes, framework entries,
      # synthesised names, and the duplicate-name errors.
      channelScopes = mapAttrs (
        cname: ch:
        let
          entries = map frameworkEntry ch.compliance.frameworks;
          synthNames = listToAttrs (
            map (e: {
              name = "evidence-${e.name}";
              value = e;
            }) entries
          );
          dups = filter (n: ch.healthChecks ? ${n}) (attrNames synthNames);
        in
        {
          explicit = ch.healthChecks;
          inherit synthNames;
          errors = map (
            n:
            "fleet: channels.${cname}: probe \"${n}\" is declared twice at channel scope: in channels.${cname}.healthChecks and by the compliance shorthand channels.${cname}.compliance.frameworks (\"${synthNames.${n}.name}\"). Fix: remove one of the two (or rename the explicit probe)."
          ) dups;
        }
      ) cfg.channels;

      perHost = mapAttrs (
        hname: host:
        let
          chScope = channelScopes.${host.channel};
          ch = cfg.channels.${host.channel};
          knownTags = filter (t: cfg.tags ? ${t}) host.tags;

          # Tag scope: name -> [ { tag, probe } ].
          tagDecls = groupBy (d: d.name) (
            concatMap (
              t:
              let
                hc = cfg.tags.${t}.healthChecks;
              in
              map (n: {
                name = n;
                tag = t;
                probe = hc.${n};
              }) (attrNames hc)
            ) knownTags
          );
          tagScope = mapAttrs (_: ds: (head ds).probe) tagDecls;

          synthesised = mapAttrs (
            _: e:
            evidenceProbe {
              framework = e.name;
              defaultMode = ch.compliance.mode;
              scopes =
                (if fleetRefinements ? ${e.name} then [ fleetRefinements.${e.name} ] else [ ])
                ++ concatMap (
                  t:
                  let
                    r = cfg.tags.${t}.compliance.frameworks;
                  in
                  if r ? ${e.name} then [ r.${e.name} ] else [ ]
                ) knownTags
                ++ [ e ]
                ++ (if host.compliance.frameworks ? ${e.name} then [ host.compliance.frameworks.${e.name} ] else [ ]);
            }
          ) chScope.synthNames;
          channelScope = chScope.explicit // synthesised;
          hostScope = host.healthChecks;

          probes = fleetScope // tagScope // channelScope // hostScope;

          where = {
            fleet = n: "fleet scope (healthChecks.${n})";
            tag = n: "tag scope (${concatStringsSep ", " (map (d: "tags.${d.tag}.healthChecks.${n}") tagDecls.${n})})";
            channel =
              n:
              if chScope.synthNames ? ${n} then
                "channel scope (channels.${host.channel}.compliance.frameworks)"
              else
                "channel scope (channels.${host.channel}.healthChecks.${n})";
            host = n: "host scope (hosts.${hname}.healthChecks.${n})";
          };
          scopeSets = [
            {
              s = "fleet";
              set = fleetScope;
            }
            {
              s = "tag";
              set = tagScope;
            }
            {
              s = "channel";
              set = channelScope;
            }
            {
              s = "host";
              set = hostScope;
            }
          ];

          shadows = concatMap (
            n:
            let
              having = filter (x: x.set ? ${n}) scopeSets;
              winner = builtins.elemAt having (length having - 1);
              shadowed = filter (x: x.s != winner.s) having;
            in
            if length having < 2 then
              [ ]
            else
              [
                {
                  key = "${n}\n${where.${winner.s} n}\n${
                    if length shadowed > 1 then "the declarations" else "the declaration"
                  } at ${concatStringsSep " and " (map (x: where.${x.s} n) shadowed)}";
                  host = hname;
                }
              ]
          ) (attrNames probes);

          tagConflicts = filter (
            n:
            let
              ds = tagDecls.${n};
            in
            length ds > 1
            && !(all (d: d.probe == (head ds).probe) ds)
            && !(channelScope ? ${n})
            && !(hostScope ? ${n})
          ) (attrNames tagDecls);
        in
        {
          healthChecks = {
            schemaVersion = 1;
            hostname = hname;
            inherit probes;
          };
          inherit shadows;
          # The same refinement per framework, for the static gate
          # (lib/compliance/gate.nix): one resolution for both sides.
          compliance = listToAttrs (
            map (n: {
              name = synthesised.${n}.framework;
              value = {
                inherit (synthesised.${n}) mode reason controlOverrides;
              };
            }) (attrNames synthesised)
          );
          errors = map (
            n:
            "fleet: hosts.${hname}: probe \"${n}\" is declared twice at tag scope with different definitions (${
              concatStringsSep ", " (map (d: "tags.${d.tag}.healthChecks.${n}") tagDecls.${n})
            }); a host's tags form one scope. Fix: make the declarations identical, rename one, or declare hosts.${hname}.healthChecks.${n} to decide."
          ) tagConflicts;
        }
      ) cfg.hosts;

      hostNames = attrNames perHost;

      shadowGroups = groupBy (x: x.key) (concatMap (h: perHost.${h}.shadows) hostNames);
      shadowWarnings = map (
        key:
        let
          hosts = map (x: x.host) shadowGroups.${key};
          parts = builtins.split "\n" key;
          probe = builtins.elemAt parts 0;
          winner = builtins.elemAt parts 2;
          shadowed = builtins.elemAt parts 4;
          winnerPath = builtins.head (builtins.match ".*[(](.*)[)]" winner);
        in
        {
          # Deliberate by construction (the narrower scope wins): not safety-relevant.
          id = "probe-shadow:${probe}:${winnerPath}";
          safety = false;
          message = "fleet: probe \"${probe}\" at ${winner} shadows ${shadowed} on ${toString (length hosts)} host(s): ${showNames 10 hosts}. Fix: rename one of them if both should run; otherwise remove the broader declaration for these hosts.";
        }
      ) (attrNames shadowGroups);

      # Names the agent gives its own checks (the signed-probe-set check and
      # the health gate's conditions): a fleet probe of such a name would be
      # taken for the agent's own and never run, so it is refused.
      reserved = n: n == "nixfleet-probe-set" || builtins.substring 0 12 n == "health-gate-";
      reservedUses = groupBy (x: x.probe) (
        concatMap (
          h: map (n: { probe = n; host = h; }) (filter reserved (attrNames perHost.${h}.healthChecks.probes))
        ) hostNames
      );
      reservedErrors = map (
        n:
        "fleet: probe \"${n}\" (on ${showNames 10 (map (x: x.host) reservedUses.${n})}) uses a name the agent reserves for its own checks (nixfleet-probe-set, health-gate-*); such a probe would never run. Fix: rename it."
      ) (attrNames reservedUses);
    in
    {
      healthChecks = mapAttrs (_: r: r.healthChecks) perHost;
      complianceSettings = mapAttrs (_: r: r.compliance) perHost;
      warnings = shadowWarnings;
      errors =
        concatMap (c: channelScopes.${c}.errors) (attrNames channelScopes)
        ++ concatLists (map (h: perHost.${h}.errors) hostNames)
        ++ reservedErrors;
    };
in
{
  inherit
    resolveProbes
    evidenceProbe
    frameworkEntry
    evidenceIntervalSeconds
    ;
}
