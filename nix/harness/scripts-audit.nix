# Helper programs of the microVM runner that judge the scenario's evidence
# (installed by nix/harness/microvm.nix): the signed-roundtrip audit (cp
# node), the secret scan (every node) and the boot-recovery records (hosts).
# Each mirrors a check of the local runner (ts/harness/invariants.ts,
# secrets.ts, boot-recovery.ts) and reports a violation when it finds no
# evidence at all: it can never pass vacuously. Texts only; builtins only.
#
# Why a second implementation: the local runner's checks read one machine's
# state directories from the runner process; in the microVM runner the
# evidence is spread over VMs that carry only the service closures, the CLI
# and these helpers, and the test driver can run commands on a node, not
# TypeScript in it. tests/lib/harness/checks.sh runs each script on
# evidence that keeps and breaks its check, as the local checks' tests do.
let
  c = import ./common.nix;
  p = c.paths;
  curlOperator = "curl -s --http2 --cacert ${p.pki}/ca.crt --cert ${p.pki}/operator.crt --key ${p.pki}/operator.key -H 'x-nixfleet-protocol: 1'";
in
{
  /**
    `nixfleet-harness-roundtrip GENERATION`: the invariant `signedRoundtrip`
    for the rollouts the generation's (last) release opened. Every manifest
    CI signed is what the CP serves, byte for byte (manifest, signature and
    its header); every host of its hostSet acknowledged and converged in
    the CP's log and cached exactly those verified bytes; `nixfleet verify`
    (the offline auditor, trust.json only) accepts fleet.resolved, the
    manifest bound to it and each host's signed probe evidence — as the CP
    keeps it (events[].evidence) and as the host keeps it
    (evidence/*.evidence.json, gathered into gathered/HOST/) — whose
    generationHash is the manifest's target for that host.

    Type: roundtrip :: string
  */
  roundtrip = ''
    set -uo pipefail
    gen=$1
    v=()
    bad() { v+=("$*"); }
    rel=${p.released}/$gen.json
    fleet=${p.releases}/fleet.resolved.json
    d=${p.work}/audit
    rm -rf "$d" && mkdir -p "$d"
    # The auditor (`nixfleet verify`, a separate process each) runs in the
    # background, as the local runner runs its auditors concurrently; its
    # refusals are collected at the end.
    n=0
    verify() {
      local what=$1
      shift
      n=$((n + 1))
      (
        if nixfleet verify "$@" --json > "$d/v$n.out" 2>&1; then :; else
          printf '%s: nixfleet verify %s exited %s: %s' "$what" "$1" "$?" "$(head -c 400 "$d/v$n.out")" > "$d/v$n.bad"
        fi
      ) &
    }
    ids=$(jq -r '.rollouts[]?' "$rel" 2> /dev/null)
    if [ -z "$ids" ]; then echo "signedRoundtrip: no release of $gen opened a rollout, nothing to check" >&2; exit 1; fi
    nixfleet-harness-events > "$d/events.jsonl" || { echo "signedRoundtrip: the CP's event log is unreadable" >&2; exit 1; }
    window=$(jq '[.channels[].freshnessWindow] | max * 60' "$fleet")
    verify "auditor refused fleet.resolved" artifact --artifact "$fleet" --signature "$fleet.sig" --trust-file ${p.cpTrust} --freshness-window-secs "$window"
    for id in $ids; do
      file=${p.releases}/rollouts/$id.json
      code=$(${curlOperator} -H 'accept: application/json' -D "$d/served.hdr" -o "$d/served.json" -w '%{http_code}' "${c.cpUrl}/v1/rollouts/$id")
      if [ "$code" != 200 ]; then bad "CP served $id with HTTP $code"
      elif ! cmp -s "$d/served.json" "$file"; then bad "CP serves manifest $id bytes that differ from what CI signed"; fi
      ${curlOperator} -H 'accept: application/octet-stream' -o "$d/served.sig" "${c.cpUrl}/v1/rollouts/$id"
      header=$(tr -d '\r' < "$d/served.hdr" | sed -n 's/^x-nixfleet-signature: *//Ip' | head -n 1)
      if ! cmp -s "$d/served.sig" "$file.sig" || [ "$header" != "$(base64 -w0 < "$file.sig")" ]; then bad "CP serves a signature for $id that differs from CI's"; fi
      [ "$(jq '.hostSet | length' "$file")" -gt 0 ] || bad "manifest $id names no host, no evidence"
      channel=$(jq -r .channel "$file")
      verify "auditor refused manifest $id" rollout-manifest --manifest "$file" --signature "$file.sig" --rollout-id "$id" --fleet-resolved "$fleet" --trust-file ${p.cpTrust} \
        --freshness-window-secs "$(jq --arg c "$channel" '(.channels[$c].freshnessWindow // 0) * 60' "$fleet")"
      safe=$(printf '%s' "$id" | sed 's/[^A-Za-z0-9._@-]/_/g')
      while read -r h target; do
        [ -n "$h" ] || continue
        for k in RemoteDispatchAck RemoteConverged; do
          jq -e -s --arg h "$h" --arg id "$id" --arg k "$k" 'any(.[]; .hostname == $h and .kind == $k and ((.payload // {}) | if type == "object" then (.rolloutId // .rollout_id) else null end) == $id)' "$d/events.jsonl" > /dev/null \
            || bad "$h: no $k for $id in the CP's log"
        done
        host=${p.gathered}/$h
        if [ ! -f "$host/manifests/$safe.json" ]; then bad "$h: no verified manifest cached for $id"
        elif ! cmp -s "$host/manifests/$safe.json" "$file" || ! cmp -s "$host/manifests/$safe.sig" "$file.sig"; then bad "$h: the manifest it verified for $id differs from what CI signed"; fi
        pub=$(jq -r --arg h "$h" '.hosts[$h].pubkey // empty' "$fleet")
        if [ -z "$pub" ]; then bad "$h: fleet.resolved carries no pubkey to verify its evidence with"; continue; fi
        printf '%s\n' "$pub" > "$d/$h.pub"
        pairs=()
        # As the CP kept it: the latest signed ProbeResult of this host in this rollout.
        jq -c -s --arg h "$h" --arg id "$id" '[.[] | select(.hostname == $h and ((.payload // {}) | if type == "object" then (.rolloutId // .rollout_id) else null end) == $id and .evidence != null) | .evidence] | last // empty' "$d/events.jsonl" > "$d/$h.cp.json"
        if [ ! -s "$d/$h.cp.json" ] || [ "$(jq -r '.signature == null' "$d/$h.cp.json")" = true ]; then bad "$h: the CP's event log carries no signed probe evidence for $id"
        else
          jq -j .payloadJcs "$d/$h.cp.json" > "$d/$h.cp-evidence.json"
          jq -j .signature "$d/$h.cp.json" > "$d/$h.cp-evidence.json.sig"
          pairs+=("$d/$h.cp-evidence.json")
        fi
        # As the host keeps it: one atomic file per probe, split into the signed bytes and the signature.
        n=0
        for f in "$host"/evidence/*.evidence.json; do
          [ -f "$f" ] || continue
          n=$((n + 1))
          copy="$d/$h.$(basename "$f")"
          if ! jq -c .payload "$f" | nixfleet canonicalize > "$copy"; then bad "$h: evidence $(basename "$f") on the host is not canonicalisable"; continue; fi
          jq -j .signature "$f" > "$copy.sig"
          pairs+=("$copy")
        done
        [ "$n" -gt 0 ] || bad "$h: no signed probe evidence on the host"
        for e in "''${pairs[@]}"; do
          verify "$h: auditor refused probe evidence $(basename "$e")" probe --payload "$e" --signature "$e.sig" --pubkey "$d/$h.pub" --hostname "$h"
          got=$(jq -r '"\(.rolloutId) \(.generationHash)"' "$e")
          [ "$got" = "$id $target" ] || bad "$h: evidence $(basename "$e") is for $got, not $id $target"
        done
      done < <(jq -r '.hostSet[] | "\(.hostname) \(.targetClosure)"' "$file")
    done
    wait
    for f in "$d"/v*.bad; do [ -f "$f" ] && v+=("$(cat "$f")"); done
    if [ "''${#v[@]}" -gt 0 ]; then
      echo "signedRoundtrip violated:" >&2
      printf '  %s\n' "''${v[@]}" >&2
      exit 1
    fi
    echo "signedRoundtrip holds: $(echo $ids)"
  '';

  /**
    `nixfleet-harness-scan [--host HOST] DIR…`: the invariant
    `secretsConfined` on one node, with ts/harness/secrets.ts's rules. Reads
    `HOST NAME PLAINTEXT` lines on stdin (from the test driver). With
    `--host`, each of HOST's secrets must be decrypted at the sandbox's
    run/agenix/NAME, the one file allowed to hold it. No other file under
    DIR… (compressed NARs decompressed) nor the journal may contain any
    plaintext, raw, as hex or as base64 at any alignment. No secret, or no
    file scanned, is a violation.

    Type: scan :: string
  */
  scan = ''
    set -uo pipefail
    host=
    if [ "''${1:-}" = --host ]; then host=$2; shift 2; fi
    v=()
    d=$(mktemp -d)
    trap 'rm -rf "$d"' EXIT
    i=0
    declare -A allowed=()
    while read -r h name plain; do
      [ -n "$plain" ] || continue
      i=$((i + 1))
      pat=$d/$i.pat
      printf '%s\n' "$plain" > "$pat"
      hex=$(printf '%s' "$plain" | od -An -tx1 -v | tr -d ' \n')
      printf '%s\n%s\n' "$hex" "''${hex^^}" >> "$pat"
      for s in 0 1 2; do
        b=$(printf '%s' "$plain" | tail -c +$((s + 1)) | base64 -w0 | sed 's/=*$//')
        k=$(((''${#b} - 4) / 4 * 4))
        [ "$k" -ge 16 ] && printf '%s\n' "''${b:0:k}" >> "$pat"
      done
      printf '%s %s' "$h" "$name" > "$d/$i.name"
      if [ "$h" = "$host" ]; then
        f=${p.agentState}/sandbox/run/agenix/$name
        allowed[$f]=$i
        if [ ! -f "$f" ]; then v+=("secret $name of $h is not decrypted on the host: $f is absent")
        elif [ "$(cat "$f")" != "$plain" ]; then v+=("secret $name of $h is not decrypted on the host: $f holds other bytes"); fi
      fi
    done
    [ "$i" -gt 0 ] || v+=("secretsConfined: the scenario ships no secret, nothing to check")
    files=0
    while IFS= read -r -d "" f; do
      files=$((files + 1))
      case "$f" in
        *.xz) cat=(xz -dc) ;;
        *.bz2) cat=(bzip2 -dc) ;;
        *.zst) cat=(zstd -dcq) ;;
        *.gz) cat=(gzip -dc) ;;
        *) cat=(cat) ;;
      esac
      for ((j = 1; j <= i; j++)); do
        [ "''${allowed[$f]:-}" = "$j" ] && continue
        if "''${cat[@]}" "$f" 2> /dev/null | grep -qF -f "$d/$j.pat"; then v+=("PLAINTEXT of secret $(cat "$d/$j.name") found in $f"); fi
      done
    done < <(find "$@" -type f -print0 2> /dev/null)
    [ "$files" -gt 0 ] || v+=("secretsConfined: no file scanned under $*")
    journalctl -o cat --no-pager > "$d/journal" 2> /dev/null || v+=("secretsConfined: the journal is unreadable")
    for ((j = 1; j <= i; j++)); do
      if grep -qF -f "$d/$j.pat" "$d/journal"; then v+=("PLAINTEXT of secret $(cat "$d/$j.name") found in the journal"); fi
    done
    if [ "''${#v[@]}" -gt 0 ]; then
      echo "secretsConfined violated''${host:+ on $host}:" >&2
      printf '  %s\n' "''${v[@]}" >&2
      exit 1
    fi
    echo "secretsConfined holds: $i secret(s), $files files and the journal scanned"
  '';

  /**
    `nixfleet-harness-recovery PHASE`, on a host: the local runner's
    RecoveryLedger (ts/harness/boot-recovery.ts) kept on the host's disk.
    `await-switch` succeeds once the agent's persisted switch handle
    (`activation` in agent-state.json) names a sandbox switch that is still running, and
    records it; `killed` (after the kill) records whether that switch
    outlived the agent; `restarted` (after a restart) records when, and the
    new process's systemd invocation; `state HOST` prints the record, the first
    `boot recovery` line the restarted process logged, and every switch
    launched (id, launch time, exit status).

    Type: recovery :: string
  */
  recovery = ''
    set -euo pipefail
    rec=${p.hostRecords}/recovery.json
    sw=${p.agentState}/sandbox/run/nixfleet-switch
    mkdir -p ${p.hostRecords}
    status() { if [ -f "$sw/$1.status" ]; then tr -d ' \n' < "$sw/$1.status"; else echo null; fi; }
    case "$1" in
      await-switch)
        id=$(jq -r '.activation // {} | if .kind == "switch" then .handle.id // empty else empty end' ${p.agentState}/agent-state.json 2> /dev/null) || id=
        [ -n "$id" ] && [ -f "$sw/$id.log" ] && [ ! -f "$sw/$id.status" ] || { echo "no switch in flight" >&2; exit 1; }
        jq -n --arg id "$id" '{ switchId: $id, inFlightAfterKill: false, killedAt: null, restartedAt: null, invocation: null }' > "$rec"
        ;;
      killed)
        [ -f "$rec" ] || exit 0
        id=$(jq -r .switchId "$rec")
        jq --argjson f "$([ -f "$sw/$id.status" ] && echo false || echo true)" --argjson at "$(date +%s%3N)" '.inFlightAfterKill = $f | .killedAt = $at' "$rec" > "$rec.tmp"
        mv "$rec.tmp" "$rec"
        ;;
      restarted)
        [ -f "$rec" ] || exit 0
        jq --argjson at "$(date +%s%3N)" --arg inv "$(systemctl show -p InvocationID --value nixfleet-agent.service)" '.restartedAt = $at | .invocation = $inv' "$rec" > "$rec.tmp"
        mv "$rec.tmp" "$rec"
        ;;
      state)
        record=null recovery=null
        if [ -f "$rec" ]; then
          record=$(cat "$rec")
          inv=$(jq -r '.invocation // empty' "$rec")
          if [ -n "$inv" ]; then
            recovery=$(journalctl -o cat --no-pager _SYSTEMD_INVOCATION_ID="$inv" | jq -c -R 'try fromjson catch empty | select(.msg == "boot recovery")' | head -n 1)
            [ -n "$recovery" ] || recovery=null
          fi
        fi
        switches=$(for f in "$sw"/*.log; do [ -f "$f" ] || continue; id=$(basename "$f" .log); printf '{"id":"%s","launchedAt":%s,"exitCode":"%s"}\n' "$id" "''${id%%-*}" "$(status "$id")"; done | jq -s 'map(if .exitCode == "null" then .exitCode = null else . end)')
        jq -n --arg h "$2" --argjson r "$record" --argjson b "$recovery" --argjson s "$switches" '{ host: $h, record: $r, recovery: $b, switches: $s }'
        ;;
      *)
        echo "nixfleet-harness-recovery: unknown phase $1" >&2
        exit 2
        ;;
    esac
  '';

  /**
    A host command printing, as a tar archive, what the host keeps of a
    signed roundtrip: its verified manifest cache and its signed probe
    evidence (an empty archive when it has none).

    Type: hostEvidence :: string
  */
  hostEvidence = "cd ${p.agentState} && { find manifests evidence -maxdepth 1 -type f 2>/dev/null || true; } | tar -cf - -T -";
}
