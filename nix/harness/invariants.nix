# The microVM runner's invariants (contracts/harness-scenario.nix
# `invariants`), checked after the timeline from the CP's own event log
# (`nixfleet-harness-events`) and the signed rollout manifests of the release
# directory, with the local runner's rules (ts/harness/observe.ts): a jq
# program prints one line per violation. An invariant with no evidence (no
# manifest, converged hosts without a single DispatchAck) is a violation,
# never a pass. Builtins only; tests/lib/harness runs the program on event
# logs that hold and that break each invariant.
let
  inherit (builtins) concatStringsSep elem toJSON;
  c = import ./common.nix;

  # jq 1.6 compatible (the version on this project's machines).
  defs = ''
    def ms: if test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z$")
      then capture("^(?<s>[^.Z]+)([.](?<f>[0-9]+))?Z$") | ((.s + "Z") | fromdateiso8601) * 1000 + (((.f // "") + "000")[0:3] | tonumber)
      else error("unparsable event time \(.)") end;
    def kind: .kind | sub("^Remote"; "");
    def rollout: (.payload // {}) | if type == "object" then (.rolloutId // .rollout_id // null) else null end;
    def wavesInOrder($events; $id; $m):
      ($m.hostSet | map({ key: .hostname, value: .waveIndex }) | from_entries) as $wave
      | [$events[] | select(rollout == $id and .hostname != null) | select($wave[.hostname] != null)] as $mine
      | (reduce ($mine[] | select(kind == "DispatchAck")) as $e ({}; ($wave[$e.hostname] | tostring) as $w | .[$w] = ([(.[$w] // infinite), ($e.at | ms)] | min))) as $acks
      | (reduce ($mine[] | select(kind == "Converged")) as $e ({}; ($wave[$e.hostname] | tostring) as $w | .[$w] = ([(.[$w] // 0), ($e.at | ms)] | max))) as $conv
      | (if ($conv | length) > 0 and ($acks | length) == 0
          then ["wavesInOrder: rollout \($id): hosts converged but no DispatchAck was found in the event log, cannot check wave order"]
          else [] end)
        + [$acks | to_entries[] | (.key | tonumber) as $w | select($w > 0) | .value as $first
           | $conv[($w - 1) | tostring] as $prev | select($prev == null or $first < $prev)
           | "wavesInOrder: rollout \($id): wave \($w) acked a dispatch at \($first) ms before wave \($w - 1) converged (\($prev // "never"))"];
    def inFlight: . == "Activating" or . == "Soaking";
    def budgetsRespected($events; $budgets):
      if ($budgets | length) == 0 then ["budgetsRespected: the fleet declares no disruption budget, nothing to check"]
      else
        ([$events[] | select(.kind == "HostStateChanged") | (.payload.event // .payload // {}) as $b
          | { seq: .seq, key: "\(rollout)/\($b.hostname // .hostname)", host: ($b.hostname // .hostname // ""), to: ($b.to | tostring),
              at: (if ($b.at | type) == "number" then $b.at else (.at | ms) end) }]
         # Half-open intervals: at the same instant, leaving flight counts first.
         | sort_by(.at, (if (.to | inFlight) then 1 else 0 end), .seq)) as $changes
        | [$budgets[] as $bud
           | (reduce ($changes[] | select(.host as $h | any($bud.members[]; . == $h))) as $c
               ({ flying: {}, entered: 0, violations: [] };
                (if ($c.to | inFlight) then (if .flying[$c.key] == null then .entered += 1 else . end) | .flying[$c.key] = $c.host
                 else del(.flying[$c.key]) end)
                | ([.flying[]] | unique) as $in
                | if $bud.limit != null and ($in | length) > $bud.limit and (.violations | length) < 5
                  then .violations += ["budgetsRespected: \($bud.label) exceeded at \($c.at) ms: \($in | length) in flight [\($in | join(", "))]"]
                  else . end))
           | .violations + (if .entered == 0 then ["budgetsRespected: \($bud.label): no member host was ever in flight, no evidence to check"] else [] end)]
        | add // []
      end;
    def noQuarantinedDispatch($events; $id; $m):
      if any($events[]; kind == "RollbackComplete" and rollout == $id) then
        [$m.hostSet[] | select(.waveIndex > 0) | .hostname] as $later
        | [$events[] | select(kind == "DispatchAck" and rollout == $id) | .hostname] | unique
        | map(select(. as $h | any($later[]; . == $h)))
        | if length > 0 then ["noQuarantinedDispatch: rollout \($id) reverted in wave 0 but dispatched later-wave hosts: \(join(", "))"] else [] end
      else [] end;
  '';

  # Per signed rollout manifest ($x), or once for the run.
  checks = {
    wavesInOrder = "wavesInOrder($events; $x.id; $x.manifest)";
    noQuarantinedDispatch = "noQuarantinedDispatch($events; $x.id; $x.manifest)";
  };
  global = {
    budgetsRespected = "budgetsRespected($events; $budgets)";
  };
in
rec {
  /**
    Invariants this runner checks: by the jq program, or by a helper
    (`others`).

    Type: kinds :: [ string ]
  */
  kinds = builtins.attrNames checks ++ builtins.attrNames global ++ others;

  /**
    Invariants checked by their own helper rather than the jq program:
    `signedRoundtrip` (nixfleet-harness-roundtrip on the cp node, with each
    host's manifest cache and evidence gathered by the test driver) and
    `secretsConfined` (nixfleet-harness-scan on every node).

    Type: others :: [ string ]
  */
  others = [
    "signedRoundtrip"
    "secretsConfined"
  ];

  /**
    The jq program over `$events` (every event), `$manifests[0]` (a list
    of { id, manifest }) and `$budgets` (nix/harness/budgets.nix): prints
    each violation of `invariants` as a string.

    Type: program :: ctx -> [ string ] -> string
  */
  program =
    ctx: invariants:
    let
      known = map (i: if elem i kinds then i else c.unsupported ctx.scenario "invariants" "invariant ${toJSON i}") invariants;
      each = map (i: checks.${i}) (builtins.filter (i: checks ? ${i}) known);
      once = map (i: global.${i}) (builtins.filter (i: global ? ${i}) known);
    in
    ''
      ${defs}
      (if ($manifests[0] | length) == 0 then ["no signed rollout manifest to check invariants against"] else [] end)
      + [$manifests[0][] as $x | ${if each == [ ] then "[]" else concatStringsSep ", " each} | .[]]
      ${concatStringsSep "\n" (map (g: "+ ${g}") once)}
      | .[]
    '';

  /**
    The shell command (cp node) that fails, listing the violations, unless
    every invariant the jq program checks holds; null when the scenario
    declares none of those (`others` have their own helpers). `ctx.budgets`
    are the fleet's resolved budgets.

    Type: command :: ctx -> [ string ] -> string | null
  */
  command =
    ctx: invariants:
    let
      # Unknown invariants throw here (program checks every one).
      viaJq = builtins.filter (i: checks ? ${i} || global ? ${i}) (builtins.deepSeq (program ctx invariants) invariants);
      prog = program ctx viaJq;
    in
    if viaJq == [ ] then
      null
    else
      ''
        ev=$(mktemp) man=$(mktemp)
        nixfleet-harness-events > "$ev"
        shopt -s nullglob
        files=(${c.paths.releases}/rollouts/*.json)
        jq -n '[inputs | { id: (input_filename | sub(".*/"; "") | sub("[.]json$"; "")), manifest: . }]' "''${files[@]}" < /dev/null > "$man"
        violations=$(jq -n -r --slurpfile events "$ev" --slurpfile manifests "$man" --argjson budgets ${c.shellArg (toJSON (ctx.budgets or [ ]))} ${c.shellArg prog})
        if [ -n "$violations" ]; then echo "invariants violated:" >&2; echo "$violations" >&2; exit 1; fi
        echo "invariants hold: ${concatStringsSep ", " viaJq}"
      '';
}
