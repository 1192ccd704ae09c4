# Per-host irrevocable values (docs/fleet-authors.md, "Values that must never
# change"): what fleet.nix declares (tag scope, then host scope) and what the
# host's configuration declares (`nixfleet.irrevocable`, read from
# `configuration.config`, the same configuration the release builds).
#
# Owns: `irrevocable.<host>` of mkFleet's result, `{ <name> = { value;
# sensitive; source; }; }`, and the conflict errors. Never: digests or the
# comparison with a previous release (the release step does both).
#
# Resolution: tag scope (a host's tags form one scope: two of its tags
# declaring a name with different values is an error unless the host
# declares it), host scope replaces tag scope, and the configuration must
# agree with fleet.nix on any name both declare: two places disagreeing on a
# value that must never change is an error, never a silent precedence.
#
# Builtins only.
let
  inherit (builtins)
    all
    attrNames
    concatMap
    concatStringsSep
    filter
    groupBy
    head
    isAttrs
    length
    map
    mapAttrs
    toJSON
    ;

  normalise =
    d:
    if isAttrs d then
      {
        inherit (d) value;
        sensitive = d.sensitive or false;
      }
    else
      {
        value = d;
        sensitive = false;
      };

  show = d: if d.sensitive then "<sensitive>" else toJSON d.value;

  /**
    Everything irrevocable for a validated fleet input `cfg` and the hosts'
    configurations (null for hosts without one): `values.<host>` and
    `errors`.

    Type: resolveIrrevocable :: { cfg, configurations } -> { values, errors :: [ string ] }

    Example: (resolveIrrevocable { inherit cfg configurations; }).values.matrix-01.serverName.value
      => "example.com"
  */
  resolveIrrevocable =
    { cfg, configurations }:
    let
      perHost = mapAttrs (
        hname: host:
        let
          knownTags = filter (t: cfg.tags ? ${t}) host.tags;
          tagDecls = groupBy (d: d.name) (
            concatMap (
              t:
              let
                ir = cfg.tags.${t}.irrevocable;
              in
              map (n: {
                name = n;
                tag = t;
                decl = normalise ir.${n};
              }) (attrNames ir)
            ) knownTags
          );
          tagScope = mapAttrs (
            n: ds:
            (head ds).decl
            // {
              source = "tags.${(head ds).tag}.irrevocable.${n}";
            }
          ) tagDecls;
          hostScope = mapAttrs (
            n: d:
            normalise d
            // {
              source = "hosts.${hname}.irrevocable.${n}";
            }
          ) host.irrevocable;
          fleetScope = tagScope // hostScope;

          c = configurations.${hname};
          fromConfig =
            if c == null then
              { }
            else
              mapAttrs (
                n: d:
                normalise d
                // {
                  source = "nixfleet.irrevocable.${n} (configuration of ${hname})";
                }
              ) (c.config.nixfleet.irrevocable or { });

          tagConflicts = filter (
            n:
            let
              ds = tagDecls.${n};
            in
            length ds > 1 && !(all (d: d.decl == (head ds).decl) ds) && !(hostScope ? ${n})
          ) (attrNames tagDecls);
          # fleet.nix values are checked by the input contract; a
          # configuration's are checked here.
          scalar = v: builtins.isString v || builtins.isInt v || builtins.isBool v;
          badConfig = filter (n: !(scalar fromConfig.${n}.value)) (attrNames fromConfig);
          configConflicts = filter (
            n: scalar fromConfig.${n}.value && fleetScope ? ${n} && (fleetScope.${n}.value != fromConfig.${n}.value)
          ) (attrNames fromConfig);
        in
        {
          # A name both declare with the same value: fleet.nix decides whether
          # it is sensitive when either says so.
          values = mapAttrs (
            n: d:
            if fleetScope ? ${n} then
              fleetScope.${n} // { sensitive = fleetScope.${n}.sensitive || d.sensitive; }
            else
              d
          ) fromConfig // removeAttrs fleetScope (attrNames fromConfig);
          errors =
            map (
              n:
              "fleet: hosts.${hname}: irrevocable value \"${n}\" is declared twice at tag scope with different values (${
                concatStringsSep ", " (map (d: "tags.${d.tag}.irrevocable.${n} = ${show d.decl}") tagDecls.${n})
              }); a host's tags form one scope. Fix: make them equal, or declare hosts.${hname}.irrevocable.${n} to decide."
            ) tagConflicts
            ++ map (
              n:
              "fleet: hosts.${hname}: ${fromConfig.${n}.source} is a ${builtins.typeOf fromConfig.${n}.value}; an irrevocable value is a string, an integer or a boolean. Fix: declare it only once it has a value (e.g. lib.optionalAttrs (v != null) { … })."
            ) badConfig
            ++ map (
              n:
              "fleet: hosts.${hname}: irrevocable value \"${n}\" is ${show fleetScope.${n}} at ${fleetScope.${n}.source} but ${show fromConfig.${n}} at ${fromConfig.${n}.source}. Fix: make the two declarations equal (a value that must never change has one source of truth)."
            ) configConflicts;
        }
      ) cfg.hosts;
    in
    {
      values = mapAttrs (_: r: r.values) perHost;
      errors = concatMap (h: perHost.${h}.errors) (attrNames perHost);
    };
in
{
  inherit resolveIrrevocable;
}
