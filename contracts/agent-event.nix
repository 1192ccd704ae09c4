# Contract: the body of POST /v1/agent/events (RFC-0005 §4.2), one event per
# request, discriminated by `kind`. snake_case as the RFC shows. Every event
# carries rollout_id, hostname and seq (monotonic per (hostname, rollout_id);
# the control plane dedupes on that triple). Open: unknown fields ignored.
#
# Additions to the RFC's list: DispatchReject (named by §4.1, body not shown)
# and ClosureQuarantined (Boundary contracts §I.7).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  ts = t.timestamp;
  str = types.str;
  nstr = types.nullOr types.str;
  status = types.enum [ "Pass" "Fail" ];

  event =
    kind: description: fields:
    types.submodule (open // {
      options = {
        kind = opt (types.enum [ kind ]) description kind { };
        rollout_id = opt t.rolloutId "Rollout the event belongs to." "stable@3f2a9c1d" { };
        hostname = opt t.hostname "Reporting host (must equal the client certificate CN)." "web-01" { };
        seq = opt t.positive "Sequence number, monotonic per (hostname, rollout_id)." 2 { };
      } // fields;
    })
    // {
      schemaName = "${kind}Event";
    };
in
types.oneOf [
  (event "DispatchAck" "Pending → Activating: the agent verified the dispatch against the signed manifest." {
    received_at = opt ts "When the agent received the dispatch." "2026-05-16T01:27:01Z" { };
    current_closure_at_dispatch = opt (types.nullOr t.closureHash) "Closure running when the dispatch arrived: the rollback target." null { };
  })
  (event "DispatchReject" "The agent refused a dispatch (manifest mismatch, quarantine, stale or invalid manifest)." {
    rejected_at = opt ts "When." "2026-05-16T01:27:01Z" { };
    reason = opt (types.enum [ "ManifestUnavailable" "ManifestInvalid" "NotInManifest" "TargetMismatch" "Stale" "Quarantined" "ClosureUnavailable" "ClosureUntrusted" ]) "Why the dispatch was refused." "TargetMismatch" { };
    detail = opt nstr "Human-readable detail." null { };
    target_closure = opt (types.nullOr str) "The target the dispatch named." null { };
  })
  (event "ActivationStarted" "Visibility only: the switch is firing." {
    started_at = opt ts "When." "2026-05-16T01:27:03Z" { };
    switch_method = opt str "How the switch is run." "systemd-run-detached" { };
  })
  (event "ActivationComplete" "Activating → Soaking." {
    completed_at = opt ts "When the new generation became current." "2026-05-16T01:27:05Z" { };
    observed_current_closure = opt t.closureHash "Basename of the current-system link after the switch." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
    switch_exit_code = opt t.int "Exit code of switch-to-configuration." 0 { };
  })
  (event "ActivationFailed" "Activating → Failed." {
    failed_at = opt ts "When." "2026-05-16T01:27:05Z" { };
    switch_exit_code = opt (types.nullOr t.int) "Exit code, null when the switch never reported one (timeout, verify mismatch)." 1 { };
    stderr_tail = opt str "Truncated stderr of the switch." "" { };
  })
  (event "ActivationDeferred" "Activating → Deferred: profile staged, live switch skipped." {
    component = opt (types.enum [ "dbus" "systemd" "kernel" "init" ]) "Component that cannot be swapped live." "dbus" { };
    deferred_at = opt ts "When." "2026-05-16T01:27:05Z" { };
  })
  (event "ProbeTopologyDeclared" "The probes the agent committed to run for this rollout." {
    declared_at = opt ts "When." "2026-05-16T01:27:15Z" { };
    probes = opt (types.listOf (types.submodule (open // {
      options = {
        name = opt str "Probe name." "nginx-version" { };
        kind = opt (types.enum [ "http" "tcp" "exec" "evidence" "health-gate" ]) "Probe kind." "http" { };
        mode = opt t.probeMode "Probe mode." "enforce" { };
      };
    }))) "Declared probes." [ ] { };
  })
  (event "ProbeObservedFirst" "First run of a declared probe after activation." {
    observed_at = opt ts "When." "2026-05-16T01:27:20Z" { };
    probe_name = opt str "Probe." "nginx-version" { };
    mode = opt t.probeMode "Probe mode." "enforce" { };
  })
  (event "ProbeResult" "One probe run." {
    probe_name = opt str "Probe." "nginx-version" { };
    status = opt status "Result (Unknown is never reported)." "Pass" { };
    observed_at = opt ts "When." "2026-05-16T01:27:20Z" { };
    failure_reason = opt nstr "Why it failed." null { };
    mode = opt t.probeMode "Probe mode." "enforce" { };
    sub_results = opt (types.nullOr (types.listOf (types.submodule (open // {
      options = {
        control_id = opt str "Control id." "nis2.art21.a" { };
        status = opt status "Control result." "Pass" { };
        framework = opt str "Framework." "nis2-essential" { };
        article = opt nstr "Article." null { };
      };
    })))) "Per-control results (evidence probes only)." null { };
    signature = opt (types.nullOr t.base64) "Base64 ed25519 signature by the host key over the canonical probe payload, when the agent signs evidence." null { default = null; };
    payload = opt (types.nullOr (types.attrsOf types.anything)) "The probe-payload object the signature covers (contract probe-payload; its JCS bytes are what was signed), so an auditor can verify the evidence from control-plane data alone with the host's public key." {
      schemaVersion = 1;
      hostname = "web-01";
      ts = "2026-05-16T01:27:20Z";
      bootId = "0f4c7c1e-7d0a-4a53-9b1b-5e2d8c3f6a10";
      generationHash = null;
      rolloutId = "stable@3f2a9c1d";
      probe = "nginx-version";
      kind = "exec";
      mode = "enforce";
      status = "Pass";
      schema = null;
      controls = [ ];
      output = { exitCode = 0; failureReason = null; };
    } { default = null; };
  })
  (event "ProbeFailureFirst" "First Pass → Fail of a declared probe: the sustained-failure timer starts." {
    probe_name = opt str "Probe." "nginx-version" { };
    first_failed_at = opt ts "When." "2026-05-16T01:27:35Z" { };
  })
  (event "Failed" "Soaking or Converged → Failed: sustained failure, or the operator aborted the rollout; the agent applies the manifest's onHealthFailure." {
    failed_at = opt ts "When." "2026-05-16T01:28:35Z" { };
    sustained_duration_secs = opt t.unsigned "How long the failure lasted (0 for an abort)." 60 { };
    failing_probes = opt (types.listOf str) "Failing enforce probes (empty for an abort)." [ "nginx-version" ] { };
    policy_applied = opt (types.enum [ "halt" "rollback-and-halt" ]) "Branch of onHealthFailure the agent follows." "rollback-and-halt" { };
    cause = opt (types.enum [ "health" "operator-abort" ]) "What failed the host: its health gate (Soaking only), or an abort of the rollout (Soaking or Converged; docs/design/operator-actions.md)." "health" { default = "health"; };
  })
  (event "RollbackComplete" "Failed → Reverted." {
    completed_at = opt ts "When." "2026-05-16T01:28:40Z" { };
    reverted_to_closure = opt t.closureHash "Closure restored." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
    switch_exit_code = opt t.int "Exit code of the rollback switch." 0 { };
  })
  (event "Converged" "Soaking → Converged." {
    converged_at = opt ts "When." "2026-05-16T01:30:05Z" { };
    current_closure = opt t.closureHash "Current closure (must equal the target)." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
  })
  (event "ClosureQuarantined" "The agent skipped a closure that failed within the quarantine window." {
    closure = opt t.closureHash "Quarantined closure." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
    quarantined_at = opt ts "When." "2026-05-16T01:30:05Z" { };
    failure_count = opt t.positive "Failures recorded for the closure." 1 { };
    last_failure_at = opt ts "Last failure." "2026-05-16T01:28:35Z" { };
  })
]
