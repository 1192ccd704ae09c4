# Cycle detection for ordering edges (host `edges` and `channelEdges`).
#
# Edge direction, everywhere in mkFleet: `{ before = a; after = b; }` is the
# arc a -> b — `a` is updated (or, for channels, converges) first and `b`
# waits for it. The edges must form a DAG.
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatMap
    filter
    genList
    groupBy
    head
    length
    listToAttrs
    elemAt
    removeAttrs
    sort
    ;

  toSet =
    names:
    listToAttrs (
      map (n: {
        name = n;
        value = true;
      }) names
    );

  # Repeatedly remove the nodes without incoming arcs (Kahn); what is left is
  # empty for a DAG, otherwise every remaining node has a predecessor that
  # also remains, so walking predecessors must revisit a node: a cycle.
  core =
    nodes: arcs:
    let
      targets = toSet (map (a: a.after) arcs);
      sources = filter (n: !(targets ? ${n})) (attrNames nodes);
      removed = toSet sources;
    in
    if sources == [ ] then
      { inherit nodes arcs; }
    else
      core (removeAttrs nodes sources) (filter (a: !(removed ? ${a.before})) arcs);

  /**
    One cycle of the directed graph given by `arcs` (`[ { before, after } ]`),
    as the list of its nodes in arc order with the first node repeated at the
    end, or null when the arcs form a DAG. Deterministic: the walk starts at
    the alphabetically first node left on a cycle.

    Type: findCycle :: [ { before :: string, after :: string } ] -> [ string ] | null

    Example: findCycle [ { before = "a"; after = "b"; } { before = "b"; after = "a"; } ]
      => [ "a" "b" "a" ]
  */
  findCycle =
    arcs:
    let
      nodes = toSet (concatMap (a: [
        a.before
        a.after
      ]) arcs);
      left = core nodes arcs;
      pred = groupBy (a: a.after) left.arcs;
      start = head (sort (a: b: a < b) (attrNames left.nodes));
      # Walk predecessors, remembering each node's position, until one repeats.
      walk =
        cur: path: seen:
        if seen ? ${cur} then
          let
            k = seen.${cur};
            m = length path - 1;
          in
          # path[k] = cur; path[i+1] is a predecessor of path[i]; and cur is a
          # predecessor of path[m]. Forward order: cur -> path[m] -> … -> path[k+1] -> cur.
          [ cur ] ++ genList (i: elemAt path (m - i)) (m - k)
          ++ [ cur ]
        else
          walk (head pred.${cur}).before (path ++ [ cur ]) (seen // { ${cur} = length path; });
    in
    if left.nodes == { } then null else walk start [ ] { };
in
{
  inherit findCycle;
}
