# The helper programs the cp node of a microVM test carries (installed by
# nix/harness/microvm.nix with jq, curl, openssl and nix on their PATH): the
# CI role (`nixfleet release` of one generation, as the local runner's
# ts/harness/publish.ts does it) and an event-log reader for conditions and
# invariants. Texts only; builtins only. `bash -n` checks them in
# tests/lib/harness.
let
  c = import ./common.nix;
  p = c.paths;
  inherit (c) shellArg;
  flags = builtins.concatStringsSep " " (map shellArg c.operatorFlags);
in
{
  /**
    `nixfleet-harness-release SCENARIO GENERATION SEQUENCE [UNSIGNED_HOST…]`:
    writes a fleet file for tests/harness/nix/generation.nix, runs
    `nixfleet release` (every toplevel built on this node, pushed to the
    binary cache signed — or unsigned for the listed hosts — signed by the
    fixture CI key with openssl as the sign hook, written into the release
    directory the CP polls) and keeps the summary (closure per host) as
    `released/<generation>.json` for the conditions.

    Type: release :: string
  */
  release = ''
    set -euo pipefail
    scenario=$1 gen=$2 seq=$3
    shift 3
    mkdir -p ${p.fleets} ${p.released} ${p.releases} ${p.cache}
    fleet=${p.fleets}/$gen.nix
    # The runner file: host pubkeys, nonces of the tokens minted so far,
    # secret ciphertexts (nixfleet-harness-init, -mint-token, -secret).
    [ -f ${p.runnerFile} ] || { echo "nixfleet-harness-release: ${p.runnerFile} is missing (nixfleet-harness-init first)" >&2; exit 1; }
    printf 'import ${p.src}/tests/harness/nix/generation.nix { scenarioFile = "${p.scenario}"; generation = "%s"; runnerFile = "${p.runnerFile}"; }\n' "$gen" > "$fleet"
    commit=$(printf '%s' "$scenario/$gen/$seq" | sha256sum | cut -c1-12)
    # A release signed in the past (the scenario's signedAgoSecs).
    now=()
    if [ -n "''${NIXFLEET_HARNESS_SIGNED_AGO:-}" ]; then
      now=(--now "$(date -u -d "@$(( $(date +%s) - NIXFLEET_HARNESS_SIGNED_AGO ))" +%Y-%m-%dT%H:%M:%SZ)")
    fi
    UNSIGNED_HOSTS="$*" nixfleet release "''${now[@]}" \
      --fleet-file "$fleet" \
      --sign-cmd 'openssl pkeyutl -sign -inkey ${p.ciKey} -rawin -in "$NIXFLEET_INPUT" -out "$NIXFLEET_OUTPUT"' \
      --push-cmd nixfleet-harness-push \
      --trust-file ${p.cpTrust} \
      --release-dir ${p.releases} \
      --ci-commit "$commit" \
      --force-resign \
      --json > "${p.released}/$gen.json.tmp"
    mv "${p.released}/$gen.json.tmp" "${p.released}/$gen.json"
    # The CP runs as its own user: the release must stay readable.
    chmod -R a+rX ${p.releases} ${p.cache}
    cat "${p.released}/$gen.json"
  '';

  /**
    The fixture PKI, run in an empty directory (a build, or a test's temp
    directory): a CA, the cp server certificate (valid for `cp` and, for
    tests/modules' loopback play, 127.0.0.1), a client certificate per host
    and for the operator, an ed25519 host key per host (PKCS#8, with its
    OpenSSH public line). The CA also issues enrolled hosts' certificates
    (the control plane's fleet CA). Needs openssl.

    Type: pki :: [ string ] -> string
  */
  pki = hosts: let
    names = builtins.concatStringsSep " " (map shellArg hosts);
  in ''
    set -euo pipefail
    gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
      -subj /CN=nixfleet-harness-ca -days 3650 2>/dev/null
    printf 'subjectAltName=DNS:cp,IP:127.0.0.1\n' > cp.ext
    gen cp
    openssl x509 -req -in cp.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cp.crt -days 3650 -extfile cp.ext 2>/dev/null
    # Client certificates carry the clientAuth EKU the CP requires; the
    # operator's CN is `operator:<name>`, what mint-operator-cert issues.
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    for h in ${names}; do
      gen "$h"
      openssl x509 -req -in "$h.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$h.crt" -days 3650 -extfile client.ext 2>/dev/null
    done
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout operator.key -out operator.csr -subj "/CN=operator:harness" 2>/dev/null
    openssl x509 -req -in operator.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out operator.crt -days 3650 -extfile client.ext 2>/dev/null
    # Host keys as PKCS#8 PEM: a format the agent loads (like OpenSSH's),
    # that openssl signs a replayed enrollment's CSR with and age decrypts
    # with; the OpenSSH public line is assembled from the raw key
    # (string "ssh-ed25519", string key), as ssh-keygen cannot read PKCS#8.
    for h in ${names}; do
      openssl genpkey -algorithm ed25519 -out "$h.ssh_host_ed25519_key"
      raw=$({ printf '\000\000\000\013ssh-ed25519\000\000\000\040'; openssl pkey -in "$h.ssh_host_ed25519_key" -pubout -outform DER | tail -c 32; } | base64 -w0)
      printf 'ssh-ed25519 %s root@%s\n' "$raw" "$h" > "$h.ssh_host_ed25519_key.pub"
    done
    rm -f ./*.csr ./*.ext ./*.srl
    chmod 0644 ./*
  '';

  /**
    `nixfleet-harness-push`, the release's push hook (NIXFLEET_HOST,
    NIXFLEET_PATH): the closure into the file binary cache, signed with the
    fixture cache key unless the host is in UNSIGNED_HOSTS (a closure pushed
    bypassing signing, which agents must refuse).

    Type: push :: string
  */
  push = ''
    set -euo pipefail
    case " ''${UNSIGNED_HOSTS:-} " in
      *" $NIXFLEET_HOST "*) exec nix --extra-experimental-features nix-command copy --to "file://${p.cache}" "$NIXFLEET_PATH" ;;
    esac
    exec nix --extra-experimental-features nix-command copy --to "file://${p.cache}?secret-key=${p.cacheSecret}" "$NIXFLEET_PATH"
  '';

  /**
    `nixfleet-harness-events`: every event of every rollout the CP knows,
    one JSON object a line, paged with `--after`. Fails when the CP cannot
    be read: a condition or invariant must never hold for lack of evidence.

    Type: events :: string
  */
  events = ''
    set -euo pipefail
    # `rollout list` exits 1 when a rollout failed; its output is still the list.
    list=$(nixfleet rollout list --json ${flags}) || [ $? -eq 1 ]
    for id in $(printf '%s' "$list" | jq -r '.rollouts[].rolloutId'); do
      after=0
      while :; do
        page=$(nixfleet rollout events "$id" --json --after "$after" ${flags})
        n=$(printf '%s' "$page" | jq '.events | length')
        printf '%s' "$page" | jq -c '.events[]'
        # A short page means caught up (the CP pages by 500, ts/cp/routes/
        # operator.ts). Waiting for an empty page would never end: probe
        # results stream in faster than one CLI call per page.
        [ "$n" -ge 500 ] || break
        after=$(printf '%s' "$page" | jq '.events[-1].seq')
      done
    done
  '';
}
