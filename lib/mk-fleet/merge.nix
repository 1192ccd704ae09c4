# Fleet composition (RFC-0001 §5): strict merge of fleet inputs.
#
# Precedence, key by key (fleets listed first are "earlier"):
#   hosts                        union; the same host name twice is an error
#   channels, tags               union; the same name twice is an error unless
#                                both definitions are equal
#   rolloutPolicies              union; LATER WINS on a name collision (the
#                                one documented override, RFC-0001 §5)
#   healthChecks                 union; the same probe name twice at fleet
#                                scope is an error unless equal
#   acceptWarnings               union; the same id twice is an error unless
#                                both reasons are equal
#   compliance.frameworks        union; the same framework twice is an error
#                                unless equal
#   edges, channelEdges,
#   disruptionBudgets,
#   revocations, bootstrapNonces concatenated in fleet order, exact duplicates
#                                dropped
#   any other key                equal values or an error (the input contract
#                                then reports unknown keys)
# The merge is associative (and commutative except for rolloutPolicies).
#
# Owns: how raw inputs combine. Never: validation (mkFleet validates the
# merged input as a whole, so fleet-paris may refer to a channel only
# fleet-lyon declares).
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elemAt
    foldl'
    genList
    groupBy
    isAttrs
    length
    listToAttrs
    mapAttrs
    toJSON
    zipAttrsWith
    ;

  # An input as given, or the input a mkFleet result was built from.
  inputOf = x: if isAttrs x && (x._type or null) == "nixfleet-fleet" then x.input else x;

  # Several fleets' values for one name, `ds = [ { i, v } ]` (i = position of
  # the fleet in the list): equal values merge, different ones are an error.
  equalOrThrow =
    what: name: ds:
    let
      first = (elemAt ds 0).v;
    in
    if builtins.all (d: d.v == first) ds then
      first
    else
      throw "mergeFleets: ${if what == "" then name else "${what}.${name}"} is declared by fleets ${
        concatStringsSep ", " (map (d: "#${toString d.i}") ds)
      } with different values. Fix: declare it in one fleet only, or make the declarations identical.";

  onlyOnce =
    what: name: ds:
    if length ds > 1 then
      throw "mergeFleets: ${what}.${name} is declared by fleets ${
        concatStringsSep ", " (map (d: "#${toString d.i}") ds)
      }; a host belongs to exactly one fleet. Fix: remove it from all but one fleet."
    else
      (elemAt ds 0).v;

  laterWins = _: _: ds: (elemAt ds (length ds - 1)).v;

  # Union of the attrsets of several fleets (`xs = [ { i, v = attrset } ]`),
  # resolving a name declared more than once with `onCollision what name ds`.
  unionBy =
    onCollision: what: xs:
    zipAttrsWith (name: ds: if length ds == 1 then (elemAt ds 0).v else onCollision what name ds) (
      map (x: mapAttrs (_: v: { inherit (x) i; inherit v; }) x.v) xs
    );

  # Concatenation without exact duplicates (first occurrence kept).
  concatUnique =
    lists:
    let
      all = concatLists lists;
      keyed = genList (i: {
        inherit i;
        k = toJSON (elemAt all i);
      }) (length all);
      firstIndex = mapAttrs (_: xs: (elemAt xs 0).i) (groupBy (x: x.k) keyed);
    in
    concatMap (x: if firstIndex.${x.k} == x.i then [ (elemAt all x.i) ] else [ ]) keyed;

  listKeys = [
    "edges"
    "channelEdges"
    "disruptionBudgets"
    "revocations"
    "bootstrapNonces"
  ];

  /**
    The strict merge of fleet inputs (or mkFleet results, whose `input` is
    used), as one raw fleet input; see the precedence table above.

    Type: mergeInputs :: [ (attrset | fleet) ] -> attrset

    Example: mergeInputs [ { hosts.a = …; } { hosts.b = …; } ] => { hosts = { a = …; b = …; }; … }
  */
  mergeInputs =
    fleets:
    let
      inputs = map inputOf fleets;
      present =
        key:
        concatLists (
          genList (
            i:
            let
              x = elemAt inputs i;
            in
            if x ? ${key} then
              [
                {
                  inherit i;
                  v = x.${key};
                }
              ]
            else
              [ ]
          ) (length inputs)
        );
      keys = attrNames (foldl' (acc: x: acc // x) { } inputs);
      merge =
        key:
        let
          xs = present key;
          sub = f: map (x: { inherit (x) i; v = f x.v; }) xs;
        in
        if key == "hosts" then
          unionBy onlyOnce "hosts" xs
        else if key == "channels" || key == "tags" || key == "healthChecks" || key == "acceptWarnings" then
          unionBy equalOrThrow key xs
        else if key == "rolloutPolicies" then
          unionBy laterWins key xs
        else if key == "compliance" then
          unionBy equalOrThrow "compliance" (sub (c: removeAttrs c [ "frameworks" ]))
          // {
            frameworks = unionBy equalOrThrow "compliance.frameworks" (sub (c: c.frameworks or { }));
          }
        else if builtins.elem key listKeys then
          concatUnique (map (x: x.v) xs)
        else
          equalOrThrow "" key xs;
    in
    listToAttrs (
      map (k: {
        name = k;
        value = merge k;
      }) keys
    );
in
{
  inherit mergeInputs inputOf;
}
