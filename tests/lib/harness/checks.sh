#!/usr/bin/env bash
# What the microVM runner generates, run here for real (no nixpkgs, no VM):
# golden test scripts, Python syntax of every scenario's script, `bash -n`
# of every helper and command, each condition's jq filter on API documents
# where it must hold and must not, the invariant program on event logs that
# keep and break each invariant, the byte-flip of tamperArtifact on a real
# file, the secret scan and the boot-recovery records on nodes made here
# (with stand-in journalctl/systemctl), the error messages of what the
# runner cannot play, and the fixture keys against their public halves.
# Needs nix-instantiate, jq, python3, openssl, xz. UPDATE_GOLDEN=1 rewrites golden/. Ends with `N passed, N failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL harness-shell/$1: $2"
}
for tool in jq python3 openssl ssh-keygen xz; do
  command -v "$tool" > /dev/null || {
    echo "checks.sh needs $tool"
    echo "0 passed, 1 failed"
    exit 1
  }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data.json
if ! nix-instantiate --eval --strict --json tests/lib/harness/shell-cases.nix > "$data" 2> "$tmp/err"; then
  cat "$tmp/err"
  echo "0 passed, 1 failed"
  exit 1
fi
q() { jq -r "$@" "$data"; }

# Golden scripts.
for g in smoke all-kinds; do
  q --arg g "$g" '.golden[$g]' > "$tmp/$g.py"
  if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/$g.py" "$here/golden/$g.py"; fi
  if diff -u "$here/golden/$g.py" "$tmp/$g.py" > "$tmp/diff"; then ok; else bad "golden $g" "$(head -40 "$tmp/diff")"; fi
done

# Every scenario's script is Python the NixOS test driver can load.
n=$(q '.scripts | length')
for i in $(seq 0 $((n - 1))); do
  name=$(q ".scripts[$i].name")
  q ".scripts[$i].script" > "$tmp/s.py"
  if out=$(python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$tmp/s.py" 2>&1); then ok; else bad "python $name" "$out"; fi
done

# All of them: every shipped scenario translates, except those the local
# runner alone can play. hive-matrix and compliance-gate release generations
# that must be refused (expectRefused), hive-matrix also ones accepted with
# acceptIrrevocable; the microVM
# runner's CI helper releases only what succeeds, and refuses such a step by
# name rather than skip it. The comms-* scenarios run the comms fleet's
# services (a real nats-server, NATS clients) as units of the local runner's
# sandbox, not as NixOS services of a VM (comms-host-add also runs `nixfleet
# host add` in a step, field hostAdd, at the shipped timings, timing.shipped,
# neither of which the microVM plan plays). operator-abort, operator-clear and
# operator-pause-approve take operator actions (step field `operator`), which
# the microVM timeline does not play: it refuses the step by name ("not
# supported by the microVM runner: step field operator"). replicas-failover
# runs control-plane replicas on a PostgreSQL cluster the local runner starts
# (top-level field replicas), which the microVM plan's one CP VM does not.
local_only='["scenario comms-bad-agent.nix does not translate","scenario comms-bad-broker.nix does not translate","scenario comms-good.nix does not translate","scenario comms-host-add-soak.nix does not translate","scenario comms-host-add.nix does not translate","scenario compliance-gate.nix does not translate","scenario hive-matrix.nix does not translate","scenario operator-abort.nix does not translate","scenario operator-clear.nix does not translate","scenario operator-pause-approve.nix does not translate","scenario replicas-failover.nix does not translate"]'
shipped=$(find tests/harness/scenarios -maxdepth 1 -name '*.nix' | wc -l)
translated=$(q '[.scripts[] | select(.name | startswith("scenario "))] | length')
untranslated=$(q -c '[.errors[] | select(.name | endswith(" does not translate")) | .name] | sort')
expected=$((shipped - $(jq 'length' <<< "$local_only")))
if [ "$shipped" -gt 0 ] && [ "$translated" = "$expected" ] && [ "$untranslated" = "$local_only" ]; then ok; else bad "every scenario translates" "$translated of $shipped scenarios translate; untranslated: $untranslated (expected only $local_only)"; fi

# Helpers and commands parse as bash.
for h in $(q '.helpers | keys[]'); do
  q --arg h "$h" '.helpers[$h]' > "$tmp/h.sh"
  if out=$(bash -n "$tmp/h.sh" 2>&1); then ok; else bad "bash -n $h" "$out"; fi
done
n=$(q '.commands | length')
for i in $(seq 0 $((n - 1))); do
  q ".commands[$i]" > "$tmp/c.sh"
  if out=$(bash -n "$tmp/c.sh" 2>&1); then ok; else bad "bash -n command $i" "$out $(cat "$tmp/c.sh")"; fi
done

# Conditions: the jq part of each, on a document in the API's shape.
n=$(q '.jqCases | length')
for i in $(seq 0 $((n - 1))); do
  c=".jqCases[$i]"
  name=$(q "$c.name")
  q "$c.doc" > "$tmp/doc.json"
  q "$c.rel" > "$tmp/rel.json"
  args=()
  [ "$(q "$c.check.slurp")" = true ] && args+=(-s)
  for k in $(q "$c.check.argjson | keys[]"); do args+=(--argjson "$k" "$(jq -c --arg k "$k" "$c.check.argjson[\$k]" "$data")"); done
  for k in $(q "$c.check.slurpfile | keys[]"); do args+=(--slurpfile "$k" "$tmp/rel.json"); done
  if [ "$(q "$c.check.slurp")" = true ]; then jq -c '.[]' "$tmp/doc.json" > "$tmp/doc.in"; else cp "$tmp/doc.json" "$tmp/doc.in"; fi
  jq -e "${args[@]}" "$(q "$c.check.filter")" "$tmp/doc.in" > "$tmp/out" 2>&1
  rc=$?
  expect=$(q "$c.expect")
  if { [ "$expect" = true ] && [ $rc -eq 0 ]; } || { [ "$expect" = false ] && [ $rc -eq 1 ]; }; then ok; else bad "jq $name" "expected $expect, jq exit $rc: $(cat "$tmp/out")"; fi
done

# Invariants: the program's violations, exactly.
n=$(q '.invCases | length')
for i in $(seq 0 $((n - 1))); do
  c=".invCases[$i]"
  name=$(q "$c.name")
  q -c "$c.events[]" > "$tmp/events.jsonl"
  q -c "$c.manifests" > "$tmp/manifests.json"
  got=$(jq -n -r --slurpfile events "$tmp/events.jsonl" --slurpfile manifests "$tmp/manifests.json" --argjson budgets "$(jq -c "$c.budgets" "$data")" "$(q "$c.program")" 2>&1)
  want=$(q "$c.expect[]")
  if [ "$got" = "$want" ]; then ok; else bad "invariant $name" "expected [$want] got [$got]"; fi
done

# tamperArtifact: one byte XOR 1, in place, on bytes the shell could mangle.
for content in 'abcdefgh$ijklmnop' 'abcdefgh%ijklmnop' 'abcdefgh\ijklmnop' 'abcdefgh ijklmnop' "$(printf 'abcdefgh\001ijklmnop')"; do
  f=$tmp/artifact
  printf '%s' "$content" > "$f"
  cmd=$(q '.flipByte' | sed "s|@FILE@|$f|")
  bash -c "set -euo pipefail; $cmd" 2> "$tmp/err"
  before=$(printf '%s' "$content" | od -An -tu1 | tr -s ' \n' ' ')
  after=$(od -An -tu1 "$f" | tr -s ' \n' ' ')
  b=$(printf '%s' "$content" | od -An -tu1 -j 8 -N1 | tr -d ' \n')
  expected=$(printf '%s' "$content" | head -c 8 | od -An -tu1 | tr -s ' \n' ' ')$((b ^ 1))$(printf '%s' "$content" | tail -c +10 | od -An -tu1 | tr -s ' \n' ' ')
  if [ "$(echo $after)" = "$(echo $expected)" ] && [ "$(stat -c %s "$f")" = 17 ]; then ok; else bad "flipByte $(printf %q "$content")" "before $before after $after expected $expected $(cat "$tmp/err")"; fi
done

# The invariant command end to end on a release directory: manifests found
# by glob and named by file, events from a stand-in for
# nixfleet-harness-events (which reads the CP; here a fixed log).
mkdir -p "$tmp/bin" "$tmp/rel/rollouts"
q -c '.invCases[] | select(.name == "waves in order") | .events[]' > "$tmp/ordered.jsonl"
printf '#!/bin/sh\ncat %s\n' "$tmp/ordered.jsonl" > "$tmp/bin/nixfleet-harness-events"
chmod +x "$tmp/bin/nixfleet-harness-events"
q -c '.invCases[] | select(.name == "waves in order") | .manifests[0].manifest' > "$tmp/rel/rollouts/stable@aa.json"
inv=$(q '.invariantCommand' | sed "s|/var/lib/nixfleet-harness/releases|$tmp/rel|g")
if out=$(PATH="$tmp/bin:$PATH" bash -c "set -euo pipefail; $inv" 2>&1) && grep -q "invariants hold" <<< "$out"; then ok; else bad "invariant command holds" "$out"; fi
q -c '.invCases[] | select(.name | startswith("wave 1 acked")) | .events[]' > "$tmp/ordered.jsonl"
if out=$(PATH="$tmp/bin:$PATH" bash -c "set -euo pipefail; $inv" 2>&1); then bad "invariant command fails" "passed: $out"; elif grep -q "wave 1 acked a dispatch" <<< "$out"; then ok; else bad "invariant command fails" "$out"; fi
rm "$tmp/rel/rollouts/stable@aa.json"
if out=$(PATH="$tmp/bin:$PATH" bash -c "set -euo pipefail; $inv" 2>&1); then bad "invariant command without manifests" "passed: $out"; elif grep -q "no signed rollout manifest" <<< "$out"; then ok; else bad "invariant command without manifests" "$out"; fi

# secretsConfined: nixfleet-harness-scan on a node made here (agent state
# mapped, a stand-in journalctl), on evidence that keeps and breaks it.
n=$tmp/node
mkdir -p "$n/agent/sandbox/run/agenix" "$n/state" "$n/empty" "$tmp/fakebin"
printf '#!/bin/sh\ncat %s\n' "$n/journal" > "$tmp/fakebin/journalctl"
chmod +x "$tmp/fakebin/journalctl"
scan=$(q '.scan' | sed "s|/var/lib/nixfleet-agent|$n/agent|g")
mine=nfsecret-web-01-db-password-0123456789abcdef0123456789abcdef0123456789abcdef
theirs=nfsecret-web-02-db-password-fedcba9876543210fedcba9876543210fedcba9876543210
secrets=$(printf 'web-01 db-password %s\nweb-02 db-password %s\n' "$mine" "$theirs")
reset_node() {
  rm -rf "$n/state"/* && printf '%s' "$mine" > "$n/agent/sandbox/run/agenix/db-password"
  echo "agent started" > "$n/journal" && echo "no secret here" > "$n/state/a"
}
scan_case() { # name, expected fragment ("holds" or a violation), dirs…
  local name=$1 want=$2 out rc
  shift 2
  out=$(printf '%s\n' "$secrets" | PATH="$tmp/fakebin:$PATH" bash -c "$scan" scan --host web-01 "$@" 2>&1)
  rc=$?
  if { [ "$want" = holds ] && [ $rc -eq 0 ] && grep -q "secretsConfined holds: 2 secret" <<< "$out"; } \
    || { [ "$want" != holds ] && [ $rc -ne 0 ] && grep -qF -- "$want" <<< "$out"; }; then ok; else bad "scan $name" "rc $rc: $out"; fi
}
reset_node && scan_case "holds" holds "$n/agent" "$n/state"
reset_node && printf 'x%s' "$mine" | base64 -w0 > "$n/state/b" && scan_case "base64 at an offset" "PLAINTEXT of secret web-01 db-password found in $n/state/b" "$n/agent" "$n/state"
reset_node && printf '%s' "$theirs" | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F > "$n/state/c" && scan_case "upper-case hex of another host's" "PLAINTEXT of secret web-02 db-password found in $n/state/c" "$n/agent" "$n/state"
reset_node && printf 'nar %s nar' "$mine" | xz > "$n/state/x.nar.xz" && scan_case "inside a compressed NAR" "found in $n/state/x.nar.xz" "$n/agent" "$n/state"
reset_node && printf '%s\n%s' "$mine" "$theirs" > "$n/agent/sandbox/run/agenix/db-password" && scan_case "another secret in the allowed file" "PLAINTEXT of secret web-02 db-password found in $n/agent/sandbox/run/agenix/db-password" "$n/agent"
reset_node && printf 'logged %s' "$theirs" >> "$n/journal" && scan_case "in the journal" "found in the journal" "$n/agent" "$n/state"
reset_node && rm "$n/agent/sandbox/run/agenix/db-password" && scan_case "not decrypted on the host" "is not decrypted on the host" "$n/state"
reset_node && scan_case "no file scanned" "no file scanned" "$n/empty"
reset_node && secrets="" scan_case "no secret" "ships no secret" "$n/agent" "$n/state"

# hostRecovered: nixfleet-harness-recovery's records on a host made here
# (stand-in systemctl and journalctl), judged by the condition's filter.
h=$tmp/host
sw=$h/agent/sandbox/run/nixfleet-switch
mkdir -p "$sw" "$tmp/recbin"
printf '#!/bin/sh\necho inv-1\n' > "$tmp/recbin/systemctl"
printf '#!/bin/sh\necho "agent started"\necho %s\n' "'{\"level\":30,\"msg\":\"boot recovery\",\"state\":\"Activating\",\"rolloutId\":\"stable@aa\"}'" > "$tmp/recbin/journalctl"
chmod +x "$tmp/recbin"/*
rec=$(q '.recovery' | sed "s|/var/lib/nixfleet-agent|$h/agent|g; s|/var/lib/nixfleet-recovery|$h/records|g")
recovery() { PATH="$tmp/recbin:$PATH" bash -c "$rec" recovery "$@" 2>&1; }
if out=$(recovery await-switch); then bad "recovery await-switch" "succeeded without a switch: $out"; else ok; fi
t0=$(date +%s%3N)
id="$((t0 - 3000))-aa"
echo '{"schemaVersion":2,"activation":{"kind":"switch","handle":{"id":"'"$id"'","closure":"c"}}}' > "$h/agent/agent-state.json"
: > "$sw/$id.log"
if out=$(recovery await-switch) && out=$(recovery killed); then ok; else bad "recovery record" "$out"; fi
echo 0 > "$sw/$id.status"
out=$(recovery restarted) || bad "recovery restarted" "$out"
sleep 0.01
after=$(date -u -d "@$(($(date +%s) + 2))" +%Y-%m-%dT%H:%M:%S.000Z)
recovered() {
  { jq -n -c --arg at "$after" '{ events: [
      { seq: 1, hostname: "web-01", kind: "RemoteActivationComplete", at: $at, payload: { rolloutId: "stable@aa" } },
      { seq: 2, hostname: "web-01", kind: "RemoteConverged", at: $at, payload: { rolloutId: "stable@aa" } } ] }'
    recovery state web-01; } | jq -e -s --argjson hosts '["web-01"]' "$(q '.jqCases[] | select(.name == "hostRecovered holds") | .check.filter')" > /dev/null
}
if recovered; then ok; else bad "recovery state holds" "$(recovery state web-01)"; fi
: > "$sw/$(date +%s%3N)-bb.log"
if recovered; then bad "recovery state: a re-fired switch" "held: $(recovery state web-01)"; else ok; fi
if out=$(recovery frobnicate); then bad "recovery unknown phase" "$out"; else ok; fi

# What the runner cannot play fails with a message naming scenario and step.
n=$(q '.errors | length')
for i in $(seq 0 $((n - 1))); do
  c=".errors[$i]"
  name=$(q "$c.name")
  if out=$(nix-instantiate --eval --strict -E "$(q "$c.expr")" 2>&1); then
    bad "error $name" "evaluated instead of failing: $out"
  elif grep -qF -- "$(q "$c.message")" <<< "$out"; then ok; else bad "error $name" "message lacks \"$(q "$c.message")\": $out"; fi
done

# Fixture keys: the public halves the plan declares are those of the files.
ci=$(openssl pkey -in nix/harness/fixtures/ci-release.key -pubout -outform DER 2> /dev/null | tail -c 32 | base64)
if [ "$ci" = "$(q '.trust.ciReleaseKey.current.public')" ]; then ok; else bad "ci key" "fixture public $ci, plan $(q '.trust.ciReleaseKey.current.public')"; fi
org=$(openssl pkey -in nix/harness/fixtures/org-root.key -pubout -outform DER 2> /dev/null | tail -c 32 | base64)
if [ "$org" = "$(q '.trust.orgRootKey.current.public')" ]; then ok; else bad "org root key" "fixture public $org, plan $(q '.trust.orgRootKey.current.public')"; fi
cache=$(nix --extra-experimental-features nix-command key convert-secret-to-public < nix/harness/fixtures/cache.secret 2>&1)
if [ "$cache" = "$(q '.trust.cacheKeys[0]')" ]; then ok; else bad "cache key" "fixture public $cache, plan $(q '.trust.cacheKeys[0]')"; fi

# The fixture PKI script, run: every certificate chains to the CA, the
# server certificate names cp, every host has an OpenSSH ed25519 key.
mkdir -p "$tmp/pki"
if out=$(cd "$tmp/pki" && bash -c "$(q '.pkiScript')" 2>&1); then
  if out=$(cd "$tmp/pki" && openssl verify -CAfile ca.crt cp.crt operator.crt web-01.crt db-01.crt 2>&1) \
    && openssl x509 -in "$tmp/pki/cp.crt" -noout -ext subjectAltName 2>&1 | grep -q "DNS:cp" \
    && ssh-keygen -l -f "$tmp/pki/web-01.ssh_host_ed25519_key.pub" | grep -q ED25519 \
    && [ "$(openssl pkey -in "$tmp/pki/web-01.ssh_host_ed25519_key" -pubout -outform DER | tail -c 32 | base64)" = "$(cut -d' ' -f2 "$tmp/pki/web-01.ssh_host_ed25519_key.pub" | base64 -d | tail -c 32 | base64)" ]; then ok; else bad "pki" "$out"; fi
else
  bad "pki script" "$out"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
