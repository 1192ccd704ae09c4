# The compliance side of a harness host's closure (tests/harness/nix/
# generation.nix): for a host whose channel enables frameworks, the controls
# file services.nixfleet-compliance would render (lib/render/compliance.nix),
# stand-ins for the commands its probes run, and the switch's call of the
# real collector over them.
#
# The catalogue's probe commands (sshd -T, sysctl, auditctl, systemctl, …)
# read a NixOS host; a sandbox host has none. Each stand-in is named like
# the command it replaces and sits on the collector's PATH only; it answers
# exactly the argv a control of this host runs (anything else exits 127, a
# failing probe) with what a compliant host prints — the first accepted
# value of every field the control expects — or, for a control listed in
# `failing`, a value the control does not accept. The collector, its
# normalisation, its judging and its signature are the real ones.
#
# Builtins only.
{
  scenario,
  generation,
  # host -> frameworks its evidence probes read
  frameworksOf,
  # host -> control ids whose runtime probe must find the host non-compliant
  failingOf,
  # [ node collector.mjs ] from the runner, or null
  collector,
}:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    elem
    filter
    genList
    groupBy
    head
    length
    listToAttrs
    map
    replaceStrings
    toJSON
    ;
  render = (import ../../../lib/render).compliance;

  shq = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # What one control's command prints, and how it exits.
  answer =
    bad: c:
    let
      e = c.probe.expect;
      fmt = c.probe.output;
      okExit = head (e.exitCode or [ 0 ]);
      badExit = if elem 1 (e.exitCode or [ 0 ]) then 2 else 1;
      fields = filter (f: f != "exitCode") (attrNames e);
      value = f: if bad then "harness-noncompliant" else toString (head e.${f});
      count = head (e.count or [ 0 ]);
      kv = sep: map (f: "${f}${sep}${value f}") fields;
      byValue = {
        key-value = kv " ";
        properties = kv "=";
        sysctl = kv " = ";
        json = [ (toJSON (listToAttrs (map (f: { name = f; value = if bad then "harness-noncompliant" else head e.${f}; }) fields))) ];
      };
    in
    if fmt == "lines" then
      {
        lines = genList (i: "harness-entry-${toString i}") (if bad && e ? count then count + 1 else count);
        exit = if bad && !(e ? count) then badExit else okExit;
        failedExit = bad && !(e ? count);
      }
    else if fmt == "exit-code" || fields == [ ] then
      {
        lines = [ ];
        exit = if bad then badExit else okExit;
        failedExit = bad;
      }
    else
      {
        lines = byValue.${fmt};
        exit = okExit;
        failedExit = false;
      };

  forHost =
    host:
    let
      frameworks = frameworksOf host;
      failing = failingOf host;
      controls = render.controls frameworks;
      ids = map (c: c.id) controls;
      unknown = filter (id: !(elem id ids)) failing;
      argsOf = c: concatStringsSep " " (builtins.tail c.probe.command);
      # argv[0] -> [ control ]
      byProgram = groupBy (c: head c.probe.command) controls;
      caseArm =
        cs:
        let
          answers = map (c: answer (elem c.id failing) c) cs;
          # Controls sharing an argv share one exit code: a failing one's wins.
          failed = filter (a: a.failedExit) answers;
          exit = (head (if failed != [ ] then failed else answers)).exit;
          lines = concatMap (a: a.lines) answers;
        in
        "  ${shq (argsOf (head cs))})\n"
        + (if lines == [ ] then "" else "    printf '%s\\n' ${concatStringsSep " " (map shq lines)}\n")
        + "    exit ${toString exit} ;;\n";
      script =
        program:
        let
          byArgs = groupBy argsOf byProgram.${program};
        in
        "#!/bin/sh\n# harness stand-in for ${program} (tests/harness/nix/compliance.nix)\ncase \"$*\" in\n"
        + concatStringsSep "" (map (a: caseArm byArgs.${a}) (attrNames byArgs))
        + "esac\necho \"harness stand-in ${program}: no control of this host runs it with: $*\" >&2\nexit 127\n";
      programs = attrNames byProgram;
      sandbox = "$NIXFLEET_SANDBOX_ROOT";
      system = "${sandbox}$NIXFLEET_SYSTEM";
    in
    if frameworks == [ ] then
      if failing != [ ] then
        throw "scenario ${scenario.name}: generation ${generation}: host ${host} lists failingControls but its channel enables no compliance framework"
      else
        {
          build = "";
          collect = "";
        }
    else if unknown != [ ] then
      throw "scenario ${scenario.name}: generation ${generation}: host ${host}: failingControls ${concatStringsSep ", " unknown} are not controls of its frameworks (${concatStringsSep ", " frameworks}); its controls: ${concatStringsSep ", " ids}"
    else if collector == null then
      throw "scenario ${scenario.name}: host ${host} enables compliance frameworks but the runner supplied no collector (runnerFile.collector)"
    else
      {
        build =
          "mkdir -p $out/etc/nixfleet/compliance $out/sw/compliance/bin\n"
          + "printf '%s' ${shq (toJSON controls)} > $out/etc/nixfleet/compliance/controls.json\n"
          + concatStringsSep "" (
            map (p: "printf '%s' ${shq (script p)} > $out/sw/compliance/bin/${p}\nchmod +x $out/sw/compliance/bin/${p}\n") programs
          );
        # As activation starts services.nixfleet-compliance: the evidence
        # of the generation being switched to, before the switch reports.
        collect =
          "PATH=\"${system}/sw/compliance/bin\" ${concatStringsSep " " (map shq collector)}"
          + " --controls \"${system}/etc/nixfleet/compliance/controls.json\""
          + " --host-key \"${sandbox}/etc/ssh/ssh_host_ed25519_key\" --hostname ${shq host}"
          + " --out \"${sandbox}/var/lib/nixfleet-compliance/evidence.json\""
          + " --current-system \"${sandbox}/run/current-system\" --timeout-secs 10 || exit 1\n";
      };
in
forHost
