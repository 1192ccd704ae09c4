# The static compliance gate (book §1.6, RFC-0007 §3.7): at release time,
# every control of every framework a host's channel enables is evaluated
# over the host's configuration, under the mode the scope refinements give
# it (fleet < tag < channel < host, then per-control overrides).
#
#   enforce   a failing control refuses the release (mkFleet throws; the
#             release step refuses with RELEASE_ERR_COMPLIANCE);
#   observe   evaluated; a failure is recorded in full in fleet.resolved's
#             complianceFindings (passes by id) and the release goes on;
#   disabled  not evaluated; recorded with its reason.
#
# A control in several enabled frameworks is evaluated once, under the
# strictest of its modes. Owns: the findings, the refusal message, and the
# override errors (unknown control, a weakening override without a reason).
# Never: the framework-level scope merge (lib/mk-fleet/probes.nix resolves
# it once, for the evidence probes and for this gate alike).
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    isAttrs
    length
    listToAttrs
    map
    toJSON
    ;

  catalogue = import ./default.nix;
  frameworks = import ../compliance-frameworks.nix;
  inherit (import ../mk-fleet/selectors.nix) showNames;

  rank = {
    disabled = 0;
    observe = 1;
    enforce = 2;
  };
  strictest = modes: foldl' (a: m: if rank.${m} > rank.${a} then m else a) "disabled" modes;

  /**
    The findings of one host: `{ <controlId> = { mode, passed, frameworks,
    evidence, reason }; }` for every control of every framework in
    `settings` (framework -> { mode, reason, controlOverrides }, the
    effective refinement of lib/mk-fleet/probes.nix) that is not disabled.
    `passed` and `evidence` are null for a disabled control.

    Type: hostFindings :: { config :: attrset, settings :: attrset } -> attrset
  */
  hostFindings =
    { config, settings }:
    let
      on = filter (f: settings.${f}.mode != "disabled") (attrNames settings);
      ids = attrNames (
        listToAttrs (
          concatMap (
            f:
            map (id: {
              name = id;
              value = null;
            }) (catalogue.byFramework.${f} or [ ])
          ) on
        )
      );
      finding =
        id:
        let
          ctl = catalogue.controls.${id};
          fs = filter (f: ctl.frameworks ? ${f}) on;
          per = map (
            f:
            let
              s = settings.${f};
              o = s.controlOverrides.${id} or { };
              overridden = (o.mode or null) != null;
            in
            {
              framework = f;
              mode = if overridden then o.mode else s.mode;
              reason = if overridden then o.reason or null else s.reason;
            }
          ) fs;
          mode = strictest (map (p: p.mode) per);
          # Every framework that sets the effective mode, with its reason.
          reasons = map (p: "${p.framework}: ${p.reason}") (
            filter (p: p.mode == mode && p.reason != null && p.reason != "") per
          );
          result = if mode == "disabled" then null else catalogue.evaluate id config;
        in
        {
          inherit mode;
          passed = if result == null then null else result.passed;
          evidence = if result == null then null else result.evidence;
          frameworks = listToAttrs (
            map (f: {
              name = f;
              value = ctl.frameworks.${f};
            }) fs
          );
          reason = if reasons == [ ] then null else concatStringsSep "; " reasons;
        };
    in
    listToAttrs (
      map (id: {
        name = id;
        value = finding id;
      }) ids
    );

  /**
    What fleet.resolved records for one host's findings: the ids that passed
    (their evidence is reproducible from the signed commit), and in full the
    ones that did not: observe-mode failures and disabled controls, each
    with its frameworks, evidence and reason. Enforce-mode failures never
    reach a signed artifact: they refuse the release.

    Type: record :: findings -> { passed :: [ string ], failed :: attrset, disabled :: attrset }
  */
  record =
    findings:
    let
      ids = attrNames findings;
      pick =
        pred: fields:
        listToAttrs (
          map (id: {
            name = id;
            value = builtins.intersectAttrs (listToAttrs (map (f: { name = f; value = null; }) fields)) findings.${id};
          }) (filter (id: pred findings.${id}) ids)
        );
    in
    {
      passed = filter (id: findings.${id}.passed == true) ids;
      failed = pick (f: f.mode != "disabled" && f.passed != true) [ "mode" "frameworks" "evidence" "reason" ];
      disabled = pick (f: f.mode == "disabled") [ "frameworks" "reason" ];
    };

  /**
    The failures that refuse a release: enforce-mode findings that did not
    pass, as `{ host, control, frameworks, title, evidence }`, sorted by
    host then control.

    Type: failures :: { <host> :: findings } -> [ attrset ]
  */
  failures =
    findings:
    concatMap (
      h:
      map (id: {
        host = h;
        control = id;
        inherit (findings.${h}.${id}) frameworks evidence;
        inherit (catalogue.controls.${id}) title;
      }) (filter (id: findings.${h}.${id}.mode == "enforce" && findings.${h}.${id}.passed != true) (attrNames findings.${h}))
    ) (attrNames findings);

  showEvidence =
    ev:
    if !(isAttrs ev) then
      "none"
    else
      concatStringsSep ", " (map (k: "${k} = ${if ev.${k} == null then "unset" else toJSON ev.${k}}") (attrNames ev));

  showFrameworks = fs: concatStringsSep ", " (map (f: "${f} ${concatStringsSep " " fs.${f}}") (attrNames fs));

  /**
    The refusal for a non-empty list of failures: one line per failing
    control naming host, control, frameworks with articles and evidence,
    then how to fix it.

    Type: refusal :: [ attrset ] -> string
  */
  refusal =
    fs:
    let
      hosts = attrNames (listToAttrs (map (f: { name = f.host; value = null; }) fs));
    in
    "fleet: the compliance gate refuses the release: ${toString (length fs)} enforce-mode control(s) fail on ${showNames 10 hosts} (RELEASE_ERR_COMPLIANCE):\n"
    + concatStringsSep "\n" (
      map (f: "  - host ${f.host}: control ${f.control} [${showFrameworks f.frameworks}]: ${f.title} Evidence: ${showEvidence f.evidence}.") fs
    )
    + "\nFix: change the host's configuration so the control passes (docs/compliance.md lists what each control reads); or, to release anyway, set compliance.frameworks.<framework>.controlOverrides.<control> = { mode = \"observe\"; reason = \"…\"; } at fleet, tag or host scope: the finding and the reason are then recorded in the signed fleet.resolved.";

  /**
    Errors of the per-control overrides at every refinement scope: an id
    that is not a control of that framework (a typo would silently exempt
    nothing), and an override that weakens a control (observe, disabled)
    without a reason (the reason is the audit record of the exception).
    Unknown frameworks are reported by the invariants already.

    Type: overrideErrors :: cfg -> [ string ]
  */
  overrideErrors =
    cfg:
    let
      scope =
        prefix: refinements:
        concatMap (
          f:
          let
            os = refinements.${f}.controlOverrides or { };
            known = catalogue.byFramework.${f} or [ ];
          in
          if !(frameworks ? ${f}) then
            [ ]
          else
            concatMap (
              id:
              let
                p = "${prefix}compliance.frameworks.${f}.controlOverrides.${id}";
                o = os.${id};
              in
              if !(elem id known) then
                [
                  "fleet: ${p}: \"${id}\" is not a control of framework ${f}; its controls: ${concatStringsSep ", " known}. Fix: use one of these ids (docs/compliance.md lists them)."
                ]
              else if elem (o.mode or null) [ "observe" "disabled" ] && (o.reason or null == null || o.reason == "") then
                [
                  "fleet: ${p}: mode \"${o.mode}\" weakens the control without a reason. Fix: add reason = \"…\"; (it is recorded with the finding in the signed fleet.resolved)."
                ]
              else
                [ ]
            ) (attrNames os)
        ) (attrNames refinements);
    in
    scope "" cfg.compliance.frameworks
    ++ concatMap (t: scope "tags.${t}." cfg.tags.${t}.compliance.frameworks) (attrNames cfg.tags)
    ++ concatMap (h: scope "hosts.${h}." cfg.hosts.${h}.compliance.frameworks) (attrNames cfg.hosts);
in
{
  inherit
    hostFindings
    record
    failures
    refusal
    overrideErrors
    ;
}
