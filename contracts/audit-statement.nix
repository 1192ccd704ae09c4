# Contract: `nixfleet audit <host> --json` — the auditor's statement
# (docs/auditor.md, "The auditor's statement"). Every fact in it was read from
# bytes whose signature the command verified: releases against trust.json
# keys valid at their signedAt, evidence against the host key the signed fleet
# declared at the evidence's time. A day without host-signed evidence says so.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  date = types.strMatching "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
  sha256 = types.strMatching "[0-9a-f]{64}";
  status = types.enum [ "Pass" "Fail" ];
  sub = options: types.submodule (open // { inherit options; });
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the statement shape." 1 { };
    host = opt t.hostname "The host the statement is about." "web-01" { };
    from = opt date "First UTC day of the range." "2026-05-16" { };
    to = opt date "Last UTC day of the range (inclusive)." "2026-05-17" { };
    generatedAt = opt t.timestamp "When the statement was computed (the verification instant)." "2026-05-18T09:00:00Z" { };
    trust = opt (sub {
      sha256 = opt sha256 "SHA-256 of the trust.json bytes used: compare it with the copy the organisation gave you." "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" { };
      ciReleaseKeys = opt (types.listOf (sub {
        role = opt (types.enum [ "current" "previous" "successor" ]) "Slot role." "current" { };
        fingerprint = opt types.str "Key fingerprint (base64 SHA-256 of the raw key)." "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=" { };
      })) "The ciReleaseKey slot's keys." [ ] { };
    }) "The root of trust the releases were verified against." { sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; ciReleaseKeys = [ ]; } { };
    releases = opt (types.listOf (sub {
      source = opt types.str "Where the release was read (`git:<commit>:<dir>` or a directory)." "git:5d41402abc4b2a76b9719d911017c592:releases" { };
      sha256 = opt sha256 "SHA-256 of the signed fleet.resolved bytes." "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" { };
      signedAt = opt t.timestamp "meta.signedAt of the release." "2026-05-16T01:00:00Z" { };
      ciCommit = opt (types.nullOr types.str) "meta.ciCommit: the fleet commit the release was built from." "3f2a9c1d0e4b5a6c" { };
      signer = opt (sub {
        role = opt (types.enum [ "current" "previous" "successor" ]) "Which key of the ciReleaseKey slot verified, at signedAt." "current" { };
        fingerprint = opt types.str "Its fingerprint." "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=" { };
      }) "The key that verified the signature." { role = "current"; fingerprint = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY="; } { };
      artifacts = opt t.positive "Signed files of the release verified (fleet.resolved, rollout manifests, sidecars)." 4 { };
      closureHash = opt (types.nullOr t.closureHash) "The host's closure in this release (null: not declared)." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
      hostKeyFingerprint = opt (types.nullOr types.str) "Fingerprint of the host key this release declares (null: none)." "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=" { };
    })) "Every release verified, oldest first." [ ] { };
    days = opt (types.listOf (sub {
      date = opt date "The UTC day." "2026-05-16" { };
      verdict = opt (types.enum [ "passed" "failed" "incomplete" "no-evidence" "no-control-evidence" ]) "passed: host-signed evidence that day, every control observed passed every time, and every control the releases of the day's closures evaluated for the host was observed; failed: a control failed at least once; incomplete: none failed but some of those controls have no signed observation that day (missingControls); no-evidence: no host-signed evidence that day (never a pass); no-control-evidence: signed evidence, but no compliance control was observed." "passed" { };
      missingControls = opt (types.listOf types.str) "Controls the signed complianceFindings of the releases that built the day's closures evaluated for the host (passed or failed, not disabled) with no signed observation that day." [ ] { };
      closures = opt (types.listOf (sub {
        closureHash = opt (types.nullOr t.closureHash) "The closure the host signed it was running (null: the payload named none)." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
        ciCommit = opt (types.nullOr types.str) "Commit of the earliest verified release that built this closure for the host (null: no verified release did)." "3f2a9c1d0e4b5a6c" { };
        releaseSha256 = opt (types.nullOr sha256) "That release's fleet.resolved SHA-256." null { };
        releaseSignedAt = opt (types.nullOr t.timestamp) "That release's signedAt." null { };
        firstSeen = opt t.timestamp "First signed payload of the day naming it." "2026-05-16T01:10:00Z" { };
        lastSeen = opt t.timestamp "Last one." "2026-05-16T23:10:00Z" { };
      })) "Closures the host ran that day, by first appearance." [ ] { };
      controls = opt (types.listOf (sub {
        controlId = opt types.str "Control id." "ssh-root-login-disabled" { };
        status = opt status "Fail if any signed observation of the day failed." "Pass" { };
        frameworks = opt (types.listOf (sub {
          framework = opt types.str "Framework." "nis2-essential" { };
          article = opt (types.nullOr types.str) "Articles." "art.21(2)(i)" { };
        })) "Frameworks the observations name." [ ] { };
        observations = opt t.positive "Signed observations of the control that day." 3 { };
        lastObservedAt = opt t.timestamp "Time of the decisive observation (the last failing one, else the last)." "2026-05-16T23:10:00Z" { };
        output = opt types.anything "The decisive observation's signed probe output (collector evidence), or null when the payload carried only the status." null { };
        failure = opt (types.nullOr types.str) "The signed failure reason, when there is one." null { };
        evidenceSha256 = opt sha256 "SHA-256 of the canonical payload bytes of the decisive observation." "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" { };
      })) "Compliance controls observed that day, by id." [ ] { };
      evidence = opt (types.listOf (sub {
        sha256 = opt sha256 "SHA-256 of the canonical payload bytes that were signed." "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" { };
        source = opt types.str "Input it came from." "evidence/2026-05-16.json" { };
        ts = opt t.timestamp "Payload ts." "2026-05-16T01:10:00Z" { };
        probe = opt types.str "Probe name." "nixfleet-compliance" { };
        status = opt status "Payload status." "Pass" { };
        signerFingerprint = opt types.str "Host key that verified." "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=" { };
      })) "The verified payloads of the day, by time." [ ] { };
    })) "One entry per UTC day of the range, in order." [ ] { };
    ignored = opt (sub {
      outsideRange = opt t.unsigned "Verified payloads of the host outside the range." 0 { };
      otherHosts = opt t.unsigned "Signed payloads of other hosts in the inputs (verified against their own declared keys when declared)." 0 { };
      beforeHistory = opt t.unsigned "Verified payloads of the host older than the first release declaring its key: not attributable, not used." 0 { };
      unsigned = opt t.unsigned "Exported events whose evidence carries no signature: they state nothing." 0 { };
    }) "Inputs that make no statement about the range." { outsideRange = 0; otherHosts = 0; beforeHistory = 0; unsigned = 0; } { };
  };
}
