# The selector algebra of RFC-0001 §3: normalisation, the "no key set"
# invariant, and resolution against precomputed host indexes.
#
# Owns: what a selector means. Never: which selectors exist in a fleet (the
# callers walk waves and budgets).
#
# Semantics. A selector is the INTERSECTION of every key that is set:
#   all = true            every host of the fleet (no restriction)
#   tags = [ a b ]        hosts carrying all of a and b
#   tagsAny = [ a b ]     hosts carrying a or b
#   hosts = [ h ]         these hosts (no wildcards; unknown names select nothing)
#   channel = "c"         hosts on channel c
#   not = s               hosts NOT selected by s
#   and = [ s1 s2 ]       hosts selected by every si
# so `{ tags = [ "web" ]; channel = "stable"; }` is "web hosts on stable". A
# selector with no key set (or only `all = false`) is an error: it would
# silently select nothing.
#
# Performance. Host sets are attrsets `name -> true`. Indexes (tag -> hosts,
# channel -> hosts) are built once with one `groupBy` each, so resolving a
# selector costs O(hosts) attrset operations (`intersectAttrs`, `removeAttrs`,
# `//`), never a scan of every host per key: wave and budget resolution stay
# linear in the fleet size.
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    concatStringsSep
    filter
    foldl'
    genList
    groupBy
    head
    intersectAttrs
    length
    listToAttrs
    mapAttrs
    removeAttrs
    tail
    toJSON
    ;

  /**
    The normalised selector that selects nothing (every key at its default).

    Type: empty :: selector
  */
  empty = {
    all = false;
    and = [ ];
    channel = null;
    hosts = [ ];
    not = null;
    tags = [ ];
    tagsAny = [ ];
  };

  /**
    A selector with all seven keys present, recursively (the fleet.resolved
    shape). Input selectors validated by contracts/fleet-input.nix already
    carry their defaults; this also accepts partial attrsets.

    Type: normalize :: attrset -> selector

    Example: normalize { tags = [ "canary" ]; }
      => { all = false; and = [ ]; channel = null; hosts = [ ]; not = null; tags = [ "canary" ]; tagsAny = [ ]; }
  */
  normalize = sel: {
    all = sel.all or false;
    and = map normalize (sel.and or [ ]);
    channel = sel.channel or null;
    hosts = sel.hosts or [ ];
    not = if (sel.not or null) == null then null else normalize sel.not;
    tags = sel.tags or [ ];
    tagsAny = sel.tagsAny or [ ];
  };

  /**
    Whether a normalised selector has no key set (so it would select nothing).

    Type: isEmpty :: selector -> bool
  */
  isEmpty = sel: sel == empty;

  /**
    The selector with its default-valued keys dropped, as JSON: the compact
    form used in messages.

    Type: show :: selector -> string

    Example: show (normalize { tags = [ "canary" ]; }) => "{\"tags\":[\"canary\"]}"
  */
  show =
    sel:
    let
      compact =
        s:
        listToAttrs (
          concatMap (
            k:
            let
              v = s.${k};
            in
            if v == empty.${k} then
              [ ]
            else
              [
                {
                  name = k;
                  value =
                    if k == "not" then
                      compact v
                    else if k == "and" then
                      map compact v
                    else
                      v;
                }
              ]
          ) (attrNames s)
        );
    in
    toJSON (compact sel);

  /**
    Errors for every selector, nested ones included, that has no key set.
    `path` is the option path of `sel`.

    Type: emptyErrors :: string -> selector -> [ string ]

    Example: emptyErrors "disruptionBudgets[0].selector" (normalize { })
      => [ "fleet: disruptionBudgets[0].selector: selector with no key set … Fix: …" ]
  */
  emptyErrors =
    path: sel:
    (
      if isEmpty sel then
        [
          "fleet: ${path}: selector with no key set; it would select no host. Fix: set at least one of all, and, channel, hosts, not, tags, tagsAny (for every host: { all = true; })."
        ]
      else
        [ ]
    )
    ++ concatLists (genList (i: emptyErrors "${path}.and[${toString i}]" (builtins.elemAt sel.and i)) (length sel.and))
    ++ (if sel.not == null then [ ] else emptyErrors "${path}.not" sel.not);

  /**
    Warnings for host and channel names a selector (nested ones included)
    refers to but the fleet does not declare: they select nothing, which is
    usually a typo. Safety-relevant (diagnostics.nix): the host a typo meant
    to name is rolled out with some other wave, or not covered by a budget.
    Ids: `unknown-host:<path>.hosts:<name>`, `unknown-channel:<path>.channel:<name>`.

    Type: unknownRefs :: { hosts :: attrset, channels :: attrset } -> string -> selector -> [ { id, safety, message } ]

    Example: map (w: w.id) (unknownRefs { inherit hosts channels; } "disruptionBudgets[0].selector" (normalize { channel = "stabel"; }))
      => [ "unknown-channel:disruptionBudgets[0].selector.channel:stabel" ]
  */
  unknownRefs =
    known: path: sel:
    (map (h: {
      id = "unknown-host:${path}.hosts:${h}";
      safety = true;
      message = "fleet: ${path}.hosts: unknown host \"${h}\" selects nothing.";
    }) (filter (h: !(known.hosts ? ${h})) sel.hosts))
    ++ (
      if sel.channel != null && !(known.channels ? ${sel.channel}) then
        [
          {
            id = "unknown-channel:${path}.channel:${sel.channel}";
            safety = true;
            message = "fleet: ${path}.channel: unknown channel \"${sel.channel}\" selects nothing.";
          }
        ]
      else
        [ ]
    )
    ++ concatLists (genList (i: unknownRefs known "${path}.and[${toString i}]" (builtins.elemAt sel.and i)) (length sel.and))
    ++ (if sel.not == null then [ ] else unknownRefs known "${path}.not" sel.not);

  # A set of names as an attrset `name -> true`.
  toSet =
    names:
    listToAttrs (
      map (n: {
        name = n;
        value = true;
      }) names
    );

  /**
    Host indexes for selector resolution, built once per fleet:
    `all` (every host), `byTag.<tag>` and `byChannel.<channel>`, each a set
    `name -> true`. Linear in the number of (host, tag) memberships.

    Type: mkIndex :: attrsOf { tags :: [ string ], channel :: string, … } -> { all, byTag, byChannel }

    Example: (mkIndex { a = { tags = [ "web" ]; channel = "stable"; }; }).byTag.web => { a = true; }
  */
  mkIndex =
    hosts:
    let
      names = attrNames hosts;
      memberships = concatMap (
        n:
        map (t: {
          host = n;
          tag = t;
        }) hosts.${n}.tags
      ) names;
    in
    {
      all = mapAttrs (_: _: true) hosts;
      byTag = mapAttrs (_: ms: toSet (map (m: m.host) ms)) (groupBy (m: m.tag) memberships);
      byChannel = mapAttrs (_: toSet) (groupBy (n: hosts.${n}.channel) names);
    };

  union = sets: foldl' (a: b: a // b) { } sets;

  intersectAll = sets: foldl' intersectAttrs (head sets) (tail sets);

  /**
    The hosts a normalised selector selects, as a set `name -> true`
    (`attrNames` gives them sorted).

    Type: resolve :: index -> selector -> attrsOf bool

    Example: attrNames (resolve (mkIndex fleet.hosts) (normalize { tagsAny = [ "canary" ]; }))
      => [ "agent-01" "agent-02" ]
  */
  resolve =
    index: sel:
    let
      parts =
        (if sel.tags == [ ] then [ ] else [ (intersectAll (map (t: index.byTag.${t} or { }) sel.tags)) ])
        ++ (if sel.tagsAny == [ ] then [ ] else [ (union (map (t: index.byTag.${t} or { }) sel.tagsAny)) ])
        ++ (if sel.hosts == [ ] then [ ] else [ (intersectAttrs index.all (toSet sel.hosts)) ])
        ++ (if sel.channel == null then [ ] else [ (index.byChannel.${sel.channel} or { }) ])
        ++ (if sel.not == null then [ ] else [ (removeAttrs index.all (attrNames (resolve index sel.not))) ])
        ++ map (resolve index) sel.and;
    in
    if parts != [ ] then
      intersectAll parts
    else if sel.all then
      index.all
    else
      { };

  /**
    Up to `n` names followed by "… and K more": host lists in messages stay
    readable on large fleets.

    Type: showNames :: int -> [ string ] -> string

    Example: showNames 2 [ "a" "b" "c" ] => "a, b … and 1 more"
  */
  showNames =
    n: names:
    let
      len = length names;
      shown = genList (i: builtins.elemAt names i) (if len < n then len else n);
    in
    concatStringsSep ", " shown + (if len > n then " … and ${toString (len - n)} more" else "");
in
{
  inherit
    empty
    normalize
    isEmpty
    show
    emptyErrors
    unknownRefs
    toSet
    mkIndex
    resolve
    showNames
    ;
}
