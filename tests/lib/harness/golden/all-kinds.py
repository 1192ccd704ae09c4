# Harness scenario all-kinds (microVM runner, nix/harness/plan.nix): Every step, condition, fault and invariant kind the microVM runner plays.

import base64
import time

# Secrets' plaintexts (host name plaintext), kept by the driver only.
harness_secrets = []


def harness_gather(gather):
    # Host outputs copied to files on the cp node, through the driver.
    for m, command, path in gather:
        data = m.succeed(command + " | base64 -w0").strip()
        cp.succeed(f"mkdir -p $(dirname {path}) && printf %s {data} | base64 -d > {path}")


def harness_wait(label, command, timeout, gather=[]):
    with subtest(label):
        try:
            if not gather:
                cp.wait_until_succeeds(command, timeout=timeout)
                return
            deadline = time.monotonic() + timeout
            while True:
                harness_gather(gather)
                rc, out = cp.execute(command)
                if rc == 0:
                    return
                if time.monotonic() > deadline:
                    raise Exception(f"{label}: timed out after {timeout} s: {out}")
                time.sleep(1)
        except Exception:
            print(cp.execute("'nixfleet' 'status' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || true")[1])
            raise


start_all()
cp.wait_for_unit("nixfleet-control-plane.service")
cp.wait_for_open_port(8443)
cp.wait_for_unit("nginx.service")

with subtest("runner file (host pubkeys)"):
    cp.succeed("nixfleet-harness-init db-01 web-01")
with subtest("secret db-password of db-01: encrypted to its host key"):
    harness_secrets.append("db-01 db-password " + cp.succeed("nixfleet-harness-secret db-01 db-password").strip())
    db_01.succeed("install -D -m 0600 /etc/nixfleet-test/db-01.ssh_host_ed25519_key /var/lib/nixfleet-agent/sandbox/etc/ssh/ssh_host_ed25519_key")
with subtest("db-01 enrolls with a bootstrap token minted now"):
    token = cp.succeed("nixfleet-harness-mint-token db-01 | base64 -w0").strip()
    db_01.succeed("printf %s " + token + " | base64 -d | (umask 077 && mkdir -p /var/lib/nixfleet-bootstrap && cat > /var/lib/nixfleet-bootstrap/token.json)")
    db_01.succeed("systemctl start nixfleet-agent.service")
for name, m in [("db-01", db_01), ("web-01", web_01)]:
    m.wait_for_unit("nixfleet-agent.service", timeout=120)
    # mTLS from the host to the control plane with the agent's identity.
    m.wait_until_succeeds(
        f"curl -sf --cacert /etc/nixfleet-test/ca.crt --cert /etc/nixfleet-test/{name}.crt"
        f" --key /etc/nixfleet-test/{name}.key https://cp:8443/healthz",
        timeout=120,
    )

with subtest("step 0: release g1"):
    cp.succeed("nixfleet-harness-release all-kinds g1 0")
harness_wait("step 1: wait {\"kind\":\"hostsConverged\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"db-01\",\"web-01\"]' '[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))] as $rows | ($rows | length) == ($hosts | length) and all($rows[]; .state == \"Converged\" and .currentClosure != null and .currentClosure == .declaredClosure)'", 90)
harness_wait("step 2: wait {\"hosts\":[\"web-01\"],\"kind\":\"hostState\",\"state\":\"Converged\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"web-01\"]' '--argjson' 'state' '\"Converged\"' '[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))] as $rows | ($rows | length) == ($hosts | length) and all($rows[]; .state == $state)'", 60)
with subtest("step 3: release g2"):
    cp.succeed("NIXFLEET_HARNESS_SIGNED_AGO=60 nixfleet-harness-release all-kinds g2 1 db-01")
harness_wait("step 3: restartAgent waits for Activating on web-01", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"web-01\"]' '--argjson' 'state' '\"Activating\"' '[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))] as $rows | ($rows | length) == ($hosts | length) and all($rows[]; .state == $state)'", 120)
with subtest("step 3: fault {\"duringActivation\":true,\"hosts\":[\"web-01\"],\"kind\":\"restartAgent\"}"):
    web_01.succeed("systemctl restart nixfleet-agent.service")
    web_01.succeed("nixfleet-harness-recovery restarted")
harness_wait("step 4: wait {\"code\":\"ClosureUntrusted\",\"hosts\":[\"db-01\"],\"kind\":\"agentRejected\"}", "nixfleet-harness-events | jq -e '-s' '--argjson' 'code' '\"ClosureUntrusted\"' '--argjson' 'hosts' '[\"db-01\"]' '[.[] | select((.kind | sub(\"^Remote\"; \"\")) == \"DispatchReject\" and ((.payload.event // .payload // {}) as $b | $code == null or $b.reason == $code or (($b.detail // \"\") | tostring | startswith($code)))) | .hostname] as $rej | all($hosts[]; . as $n | any($rej[]; . == $n))'", 60)
harness_wait("step 5: wait {\"generation\":\"g2\",\"hosts\":[\"web-01\"],\"kind\":\"hostCurrent\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"web-01\"]' '--slurpfile' 'rel' '/var/lib/nixfleet-harness/released/g2.json' '.hosts as $rows | $rel[0].closures as $c | all($hosts[]; . as $n | ($c[$n] // null) != null and ([$rows[] | select(.hostname == $n) | .currentClosure][0] // null) == $c[$n])'", 60)
with subtest("step 6: fault {\"hosts\":[\"db-01\"],\"kind\":\"killAgent\"}"):
    db_01.succeed("systemctl kill --kill-who=main --signal=SIGKILL nixfleet-agent.service; systemctl stop nixfleet-agent.service")
harness_wait("step 7: killAgent waits for Activating on web-01", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"web-01\"]' '--argjson' 'state' '\"Activating\"' '[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))] as $rows | ($rows | length) == ($hosts | length) and all($rows[]; .state == $state)'", 120)
with subtest("step 7: killAgent waits for a switch in flight on web-01"):
    web_01.wait_until_succeeds("nixfleet-harness-recovery await-switch", timeout=120)
with subtest("step 7: fault {\"duringActivation\":true,\"hosts\":[\"web-01\"],\"kind\":\"killAgent\"}"):
    web_01.succeed("systemctl kill --kill-who=main --signal=SIGKILL nixfleet-agent.service; systemctl stop nixfleet-agent.service")
    web_01.succeed("nixfleet-harness-recovery killed")
with subtest("step 8: fault {\"hosts\":[\"web-01\"],\"kind\":\"restartAgent\"}"):
    web_01.succeed("systemctl restart nixfleet-agent.service")
    web_01.succeed("nixfleet-harness-recovery restarted")
harness_wait("step 9: wait {\"hosts\":[\"web-01\"],\"kind\":\"hostRecovered\"}", "{ nixfleet-harness-events | jq -cs '{ events: . }'; cat /var/lib/nixfleet-harness/gathered/web-01.recovery.json; } | jq -e '-s' '--argjson' 'hosts' '[\"web-01\"]' 'def ms: capture(\"^(?<s>[^.Z]+)([.](?<f>[0-9]+))?Z$\") | ((.s + \"Z\") | fromdateiso8601) * 1000 + (((.f // \"\") + \"000\")[0:3] | tonumber); def rollout: (.payload // {}) | if type == \"object\" then (.rolloutId // .rollout_id // null) else null end; .[0].events as $ev | .[1:] as $hd | ($hosts | length) > 0 and all($hosts[]; . as $h | ([$hd[] | select(.host == $h)][0] // null) as $d | $d != null and $d.record != null and $d.record.switchId != null and $d.record.inFlightAfterKill == true and $d.record.restartedAt != null and $d.recovery != null and $d.recovery.state == \"Activating\" and ($d.recovery.rolloutId | type) == \"string\" and ($d.recovery.rolloutId as $rid | [$ev[] | select(.hostname == $h and rollout == $rid and (.at | ms) >= $d.record.restartedAt)] as $mine | ([$mine[] | select((.kind | sub(\"^Remote\"; \"\")) == \"ActivationComplete\")][0] // null) as $done | $done != null and any($mine[]; (.kind | sub(\"^Remote\"; \"\")) == \"Converged\") and ([$d.switches[] | select(.id == $d.record.switchId)][0].exitCode // null) == \"0\" and ([$d.switches[] | select(.launchedAt >= $d.record.restartedAt and .launchedAt <= ($done.at | ms))] | length) == 0))'", 60, [(web_01, "nixfleet-harness-recovery state web-01", "/var/lib/nixfleet-harness/gathered/web-01.recovery.json")])
with subtest("step 10: fault {\"hosts\":[\"db-01\"],\"kind\":\"replayEnrollToken\"}"):
    cp.succeed("nixfleet-harness-replay-token db-01")
harness_wait("step 11: wait {\"hosts\":[\"db-01\"],\"kind\":\"enrollRefused\"}", "nixfleet-harness-enroll-state | jq -e '--argjson' 'hosts' '[\"db-01\"]' 'def ms: capture(\"^(?<s>[^.Z]+)([.](?<f>[0-9]+))?Z$\") | ((.s + \"Z\") | fromdateiso8601) * 1000 + (((.f // \"\") + \"000\")[0:3] | tonumber); . as $d | ($hosts | length) > 0 and all($hosts[]; . as $h | ($d.replays[$h] // null) as $r | [$d.issuance[] | select(.hostname == $h and .via == \"enroll\")] as $e | $r != null and $r.status == 409 and $r.code == \"CP_ERR_TOKEN_REPLAYED\" and ($r.issuedCertificate | not) and ($e | length) == 1 and $e[0].nonce == ($d.nonces[$h] // null) and ([$e[] | select((.at | ms) >= $r.at)] | length) == 0)'", 10)
with subtest("step 12: fault {\"kind\":\"killCp\"}"):
    cp.succeed("systemctl kill --kill-who=main --signal=SIGKILL nixfleet-control-plane.service; systemctl stop nixfleet-control-plane.service")
cp.sleep(2)
with subtest("step 13: fault {\"kind\":\"restartCp\"}"):
    cp.succeed("systemctl restart nixfleet-control-plane.service")
    cp.wait_for_unit("nixfleet-control-plane.service")
    cp.wait_for_open_port(8443)
with subtest("step 14: fault {\"kind\":\"wipeCpDb\"}"):
    cp.succeed("systemctl kill --kill-who=main --signal=SIGKILL nixfleet-control-plane.service; systemctl stop nixfleet-control-plane.service; rm -rf /var/lib/nixfleet-cp/state.db /var/lib/nixfleet-cp/state.db-wal /var/lib/nixfleet-cp/state.db-shm /var/lib/nixfleet-cp/state.db-journal /var/lib/nixfleet-cp/last-release; systemctl start nixfleet-control-plane.service")
    cp.wait_for_unit("nixfleet-control-plane.service")
    cp.wait_for_open_port(8443)
with subtest("step 15: fault {\"hosts\":[\"web-01\"],\"kind\":\"cutNetwork\"}"):
    web_01.succeed("ip link set eth1 down")
cp.sleep(3)
with subtest("step 16: fault {\"hosts\":[\"web-01\"],\"kind\":\"restoreNetwork\"}"):
    web_01.succeed("ip link set eth1 up")
with subtest("step 17: fault {\"artifact\":\"revocations\",\"kind\":\"tamperArtifact\"}"):
    cp.succeed("f=/var/lib/nixfleet-harness/releases/revocations.json; n=$(stat -c %s \"$f\"); o=$((n / 2)); b=$(od -An -tu1 -j \"$o\" -N1 \"$f\" | tr -d ' \\n'); printf \"$(printf '\\\\%03o' $((b ^ 1)))\" | dd of=\"$f\" bs=1 seek=\"$o\" count=1 conv=notrunc status=none")
with subtest("step 18: fault {\"artifact\":\"rollout-manifest\",\"kind\":\"tamperArtifact\"}"):
    cp.succeed("f=$(ls -t /var/lib/nixfleet-harness/releases/rollouts/*.json | head -n 1); n=$(stat -c %s \"$f\"); o=$((n / 2)); b=$(od -An -tu1 -j \"$o\" -N1 \"$f\" | tr -d ' \\n'); printf \"$(printf '\\\\%03o' $((b ^ 1)))\" | dd of=\"$f\" bs=1 seek=\"$o\" count=1 conv=notrunc status=none")
with subtest("step 19: fault {\"hosts\":[\"db-01\"],\"kind\":\"skewClock\",\"seconds\":-120}"):
    db_01.succeed("systemctl stop systemd-timesyncd.service || true; date -s \"@$(( $(date +%s) + (-120) ))\"")
with subtest("step 20: fault {\"kind\":\"skewClock\",\"seconds\":30}"):
    cp.succeed("systemctl stop systemd-timesyncd.service || true; date -s \"@$(( $(date +%s) + (30) ))\"")
harness_wait("step 21: wait {\"code\":\"TRUST_ERR\",\"kind\":\"cpAlert\"}", "curl -sf --cacert /etc/nixfleet-test/ca.crt https://cp:8443/healthz | jq -e '--argjson' 'code' '\"TRUST_ERR\"' 'if $code == null then (.alerts | length) > 0 else any(.alerts[]; .code | startswith($code)) end'", 30)
harness_wait("step 22: wait {\"channel\":\"stable\",\"kind\":\"rolloutState\",\"state\":\"Reverted\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'channel' '\"stable\"' '--argjson' 'state' '\"Reverted\"' '([.rollouts[] | select(.channel == $channel)][0].state // null) == $state'", 60)
harness_wait("step 23: wait {\"channel\":\"stable\",\"generation\":\"g2\",\"kind\":\"hostQuarantined\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'channel' '\"stable\"' '--slurpfile' 'rel' '/var/lib/nixfleet-harness/released/g2.json' '[$rel[0].closures[]] as $want | any(.channels[] | select(.name == $channel) | .quarantinedClosures[]; .closure as $q | any($want[]; . == $q))'", 60)
with subtest("invariants"):
    cp.succeed("ev=$(mktemp) man=$(mktemp)\nnixfleet-harness-events > \"$ev\"\nshopt -s nullglob\nfiles=(/var/lib/nixfleet-harness/releases/rollouts/*.json)\njq -n '[inputs | { id: (input_filename | sub(\".*/\"; \"\") | sub(\"[.]json$\"; \"\")), manifest: . }]' \"${files[@]}\" < /dev/null > \"$man\"\nviolations=$(jq -n -r --slurpfile events \"$ev\" --slurpfile manifests \"$man\" --argjson budgets '[]' 'def ms: if test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z$\")\n  then capture(\"^(?<s>[^.Z]+)([.](?<f>[0-9]+))?Z$\") | ((.s + \"Z\") | fromdateiso8601) * 1000 + (((.f // \"\") + \"000\")[0:3] | tonumber)\n  else error(\"unparsable event time \\(.)\") end;\ndef kind: .kind | sub(\"^Remote\"; \"\");\ndef rollout: (.payload // {}) | if type == \"object\" then (.rolloutId // .rollout_id // null) else null end;\ndef wavesInOrder($events; $id; $m):\n  ($m.hostSet | map({ key: .hostname, value: .waveIndex }) | from_entries) as $wave\n  | [$events[] | select(rollout == $id and .hostname != null) | select($wave[.hostname] != null)] as $mine\n  | (reduce ($mine[] | select(kind == \"DispatchAck\")) as $e ({}; ($wave[$e.hostname] | tostring) as $w | .[$w] = ([(.[$w] // infinite), ($e.at | ms)] | min))) as $acks\n  | (reduce ($mine[] | select(kind == \"Converged\")) as $e ({}; ($wave[$e.hostname] | tostring) as $w | .[$w] = ([(.[$w] // 0), ($e.at | ms)] | max))) as $conv\n  | (if ($conv | length) > 0 and ($acks | length) == 0\n      then [\"wavesInOrder: rollout \\($id): hosts converged but no DispatchAck was found in the event log, cannot check wave order\"]\n      else [] end)\n    + [$acks | to_entries[] | (.key | tonumber) as $w | select($w > 0) | .value as $first\n       | $conv[($w - 1) | tostring] as $prev | select($prev == null or $first < $prev)\n       | \"wavesInOrder: rollout \\($id): wave \\($w) acked a dispatch at \\($first) ms before wave \\($w - 1) converged (\\($prev // \"never\"))\"];\ndef inFlight: . == \"Activating\" or . == \"Soaking\";\ndef budgetsRespected($events; $budgets):\n  if ($budgets | length) == 0 then [\"budgetsRespected: the fleet declares no disruption budget, nothing to check\"]\n  else\n    ([$events[] | select(.kind == \"HostStateChanged\") | (.payload.event // .payload // {}) as $b\n      | { seq: .seq, key: \"\\(rollout)/\\($b.hostname // .hostname)\", host: ($b.hostname // .hostname // \"\"), to: ($b.to | tostring),\n          at: (if ($b.at | type) == \"number\" then $b.at else (.at | ms) end) }]\n     # Half-open intervals: at the same instant, leaving flight counts first.\n     | sort_by(.at, (if (.to | inFlight) then 1 else 0 end), .seq)) as $changes\n    | [$budgets[] as $bud\n       | (reduce ($changes[] | select(.host as $h | any($bud.members[]; . == $h))) as $c\n           ({ flying: {}, entered: 0, violations: [] };\n            (if ($c.to | inFlight) then (if .flying[$c.key] == null then .entered += 1 else . end) | .flying[$c.key] = $c.host\n             else del(.flying[$c.key]) end)\n            | ([.flying[]] | unique) as $in\n            | if $bud.limit != null and ($in | length) > $bud.limit and (.violations | length) < 5\n              then .violations += [\"budgetsRespected: \\($bud.label) exceeded at \\($c.at) ms: \\($in | length) in flight [\\($in | join(\", \"))]\"]\n              else . end))\n       | .violations + (if .entered == 0 then [\"budgetsRespected: \\($bud.label): no member host was ever in flight, no evidence to check\"] else [] end)]\n    | add // []\n  end;\ndef noQuarantinedDispatch($events; $id; $m):\n  if any($events[]; kind == \"RollbackComplete\" and rollout == $id) then\n    [$m.hostSet[] | select(.waveIndex > 0) | .hostname] as $later\n    | [$events[] | select(kind == \"DispatchAck\" and rollout == $id) | .hostname] | unique\n    | map(select(. as $h | any($later[]; . == $h)))\n    | if length > 0 then [\"noQuarantinedDispatch: rollout \\($id) reverted in wave 0 but dispatched later-wave hosts: \\(join(\", \"))\"] else [] end\n  else [] end;\n\n(if ($manifests[0] | length) == 0 then [\"no signed rollout manifest to check invariants against\"] else [] end)\n+ [$manifests[0][] as $x | wavesInOrder($events; $x.id; $x.manifest), noQuarantinedDispatch($events; $x.id; $x.manifest) | .[]]\n\n| .[]\n')\nif [ -n \"$violations\" ]; then echo \"invariants violated:\" >&2; echo \"$violations\" >&2; exit 1; fi\necho \"invariants hold: wavesInOrder, noQuarantinedDispatch\"\n")
with subtest("invariant signedRoundtrip"):
    harness_gather([(db_01, "cd /var/lib/nixfleet-agent && { find manifests evidence -maxdepth 1 -type f 2>/dev/null || true; } | tar -cf - -T -", "/var/lib/nixfleet-harness/gathered/db-01.evidence.tar"), (web_01, "cd /var/lib/nixfleet-agent && { find manifests evidence -maxdepth 1 -type f 2>/dev/null || true; } | tar -cf - -T -", "/var/lib/nixfleet-harness/gathered/web-01.evidence.tar")])
    cp.succeed("rm -rf /var/lib/nixfleet-harness/gathered/db-01 && mkdir -p /var/lib/nixfleet-harness/gathered/db-01 && tar -xf /var/lib/nixfleet-harness/gathered/db-01.evidence.tar -C /var/lib/nixfleet-harness/gathered/db-01 && rm -rf /var/lib/nixfleet-harness/gathered/web-01 && mkdir -p /var/lib/nixfleet-harness/gathered/web-01 && tar -xf /var/lib/nixfleet-harness/gathered/web-01.evidence.tar -C /var/lib/nixfleet-harness/gathered/web-01 && nixfleet-harness-roundtrip g2")
with subtest("invariant secretsConfined"):
    lines = base64.b64encode("".join(s + "\n" for s in harness_secrets).encode()).decode()
    for m, command in [(cp, "nixfleet-harness-scan /var/lib/nixfleet-cp /var/lib/nixfleet-harness $(jq -r '.closures[]' /var/lib/nixfleet-harness/released/*.json | sed 's|^|/nix/store/|' | xargs -r nix-store -qR)"), (db_01, "nixfleet-harness-scan --host db-01 /var/lib/nixfleet-agent"), (web_01, "nixfleet-harness-scan --host web-01 /var/lib/nixfleet-agent")]:
        m.succeed("printf %s " + lines + " | base64 -d | " + command)

with subtest("no daemon restarted on its own"):
    for m, unit in [(cp, "nixfleet-control-plane.service")] + [(m, "nixfleet-agent.service") for m in [db_01, web_01]]:
        n = m.succeed(f"systemctl show -p NRestarts --value {unit}").strip()
        assert n == "0", f"{m.name}: {unit} restarted {n} times"

