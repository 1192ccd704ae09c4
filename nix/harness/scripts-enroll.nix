# Helper programs of the microVM runner's cp node for enrollment and
# secrets (installed by nix/harness/microvm.nix, with jq, curl, openssl, age
# and the operator CLI on their PATH). Enrollment is real and happens at
# test run time: a NixOS test must build the same later, so no token can
# be minted at build time (it would have expired). Instead the cp node mints
# each token with the fixture org root key when the test runs, with an
# expiry relative to the VM's clock, lists its nonce in the runner file the
# next release signs into fleet.resolved, and keeps the copy an attacker
# would replay. Texts only; builtins only; `bash -n`-checked and run in
# tests/lib/harness and tests/modules.
let
  c = import ./common.nix;
  p = c.paths;
in
{
  /**
    `nixfleet-harness-init HOST…`: the runner file generation.nix reads
    (ts/harness/fixtures.ts writes the same for the local runner): each
    host's OpenSSH public key from the fixture PKI, no nonces, no secrets.

    Type: init :: string
  */
  init = ''
    set -euo pipefail
    mkdir -p ${p.work} ${p.tokens} ${p.replays} ${p.gathered} ${p.secrets}
    json='{"pubkeys":{},"bootstrapNonces":[],"secrets":{}}'
    for h in "$@"; do
      json=$(jq -c --arg h "$h" --arg k "$(cat "${p.pki}/$h.ssh_host_ed25519_key.pub")" '.pubkeys[$h] = $k' <<< "$json")
    done
    printf '%s\n' "$json" > ${p.runnerFile}
  '';

  /**
    `nixfleet-harness-mint-token HOST`: a bootstrap token for HOST's
    fixture host key, signed by the org root key now (valid one hour of
    the VM's clock), checked against trust.json by `nixfleet mint-token`.
    Its nonce joins the runner file's `bootstrapNonces` (signed by the next
    release); the token is kept in tokens/HOST.json and printed.

    Type: mintToken :: string
  */
  mintToken = ''
    set -euo pipefail
    h=$1
    tok=${p.tokens}/$h.json
    [ -f ${p.runnerFile} ] || { echo "nixfleet-harness-mint-token: ${p.runnerFile} is missing (nixfleet-harness-init first)" >&2; exit 1; }
    nixfleet mint-token --hostname "$h" --pubkey-file "${p.pki}/$h.ssh_host_ed25519_key.pub" \
      --org-root-key ${p.orgRootKey} --trust ${p.cpTrust} --validity 1h --minted-by harness > "$tok.tmp"
    mv "$tok.tmp" "$tok"
    entry=$(jq -c '{ nonce: .claims.nonce, hostname: .claims.hostname, expiresAt: .claims.expiresAt, mintedAt: .claims.issuedAt, mintedBy: "harness" }' "$tok")
    jq --argjson e "$entry" '.bootstrapNonces += [$e]' ${p.runnerFile} > ${p.runnerFile}.tmp
    mv ${p.runnerFile}.tmp ${p.runnerFile}
    cat "$tok"
  '';

  /**
    `nixfleet-harness-replay-token HOST`: the fault `replayEnrollToken`, as
    ts/harness/enroll-replay.ts plays it: HOST's token presented again to
    POST /v1/enroll with a fresh CSR signed by HOST's own key, without a
    client certificate. The outcome (HTTP status, error code, whether a
    certificate came back) goes to replays/HOST.json; a refusal is the
    expected outcome, so only a missing token fails.

    Type: replayToken :: string
  */
  replayToken = ''
    set -euo pipefail
    h=$1
    tok=${p.tokens}/$h.json
    [ -f "$tok" ] || { echo "nixfleet-harness-replay-token: no token was minted for $h in this run" >&2; exit 1; }
    d=$(mktemp -d)
    trap 'rm -rf "$d"' EXIT
    openssl req -new -key "${p.pki}/$h.ssh_host_ed25519_key" -subj "/CN=$h" -out "$d/csr.pem"
    jq -n --slurpfile t "$tok" --rawfile csr "$d/csr.pem" '{ token: $t[0], csrPem: $csr }' > "$d/body.json"
    : > "$d/resp"
    at=$(date +%s%3N)
    status=$(curl -s --http2 --cacert ${p.pki}/ca.crt -H 'content-type: application/json' -H 'x-nixfleet-protocol: 1' \
      --data-binary @"$d/body.json" -o "$d/resp" -w '%{http_code}' ${c.cpUrl}/v1/enroll) || true
    status=$((10#''${status:-0}))
    jq -n --arg h "$h" --argjson at "$at" --argjson status "$status" --rawfile resp "$d/resp" '
      ($resp | try fromjson catch {}) as $b
      | (($b | type) == "object" and ($b.certPem | type) == "string") as $cert
      | { host: $h, at: $at, status: (if $status == 0 then null else $status end),
          code: (if ($b | type) == "object" then $b.error.code // null else null end),
          issuedCertificate: $cert,
          detail: (if $cert then "certificate issued" else $resp[0:300] end) }' > ${p.replays}/$h.json
    cat ${p.replays}/$h.json
  '';

  /**
    `nixfleet-harness-enroll-state`: what the condition `enrollRefused`
    judges, as one JSON document: `replays` (host → outcome), `nonces`
    (host → nonce of the token minted for it) and `issuance` (the CP's
    issuance log). Fails while the log is unreadable or torn.

    Type: enrollState :: string
  */
  enrollState = ''
    set -euo pipefail
    shopt -s nullglob
    replays=$(jq -s 'map({ key: .host, value: . }) | from_entries' ${p.replays}/*.json < /dev/null)
    nonces=$(jq -s 'map({ key: .claims.hostname, value: .claims.nonce }) | from_entries' ${p.tokens}/*.json < /dev/null)
    jq -s --argjson r "$replays" --argjson n "$nonces" '{ replays: $r, nonces: $n, issuance: . }' ${p.cpIssuanceLog}
  '';

  /**
    `nixfleet-harness-secret HOST NAME`: plays the secret's author, as
    ts/harness/secrets.ts does: a random plaintext, encrypted with age to
    HOST's OpenSSH host key into secrets/HOST/NAME.age, named in the runner
    file (generation.nix ships the ciphertext, the host's switch decrypts
    it). The plaintext is printed (the test driver keeps it, outside every
    VM) and never written to this node's disk.

    Type: secret :: string
  */
  secret = ''
    set -euo pipefail
    h=$1 name=$2
    [ -f ${p.runnerFile} ] || { echo "nixfleet-harness-secret: ${p.runnerFile} is missing (nixfleet-harness-init first)" >&2; exit 1; }
    mkdir -p "${p.secrets}/$h"
    out="${p.secrets}/$h/$name.age"
    # Hex only: it survives JSON, logs and SQL unchanged, so a scan cannot
    # miss an escaped copy.
    plain="nfsecret-$h-$name-$(head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n')"
    printf '%s' "$plain" | age --encrypt -R "${p.pki}/$h.ssh_host_ed25519_key.pub" -o "$out"
    jq --arg h "$h" --arg n "$name" --arg f "$out" '.secrets[$h][$n] = $f' ${p.runnerFile} > ${p.runnerFile}.tmp
    mv ${p.runnerFile}.tmp ${p.runnerFile}
    chmod -R a+rX ${p.secrets}
    printf '%s\n' "$plain"
  '';
}
