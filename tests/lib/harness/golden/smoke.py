# Harness scenario smoke (microVM runner, lib/harness/plan.nix): One control plane, two agents reach it over mTLS and stay up.

def harness_wait(label, command, timeout):
    with subtest(label):
        try:
            cp.wait_until_succeeds(command, timeout=timeout)
        except Exception:
            print(cp.execute("'nixfleet' 'status' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || true")[1])
            raise

start_all()
cp.wait_for_unit("nixfleet-control-plane.service")
cp.wait_for_open_port(8443)
cp.wait_for_unit("nginx.service")
for name, m in [("db-01", db_01), ("web-01", web_01)]:
    m.wait_for_unit("nixfleet-agent.service", timeout=150)
    # mTLS from the host to the control plane with the agent's identity.
    m.wait_until_succeeds(
        f"curl -sf --cacert /etc/nixfleet-test/ca.crt --cert /etc/nixfleet-test/{name}.crt"
        f" --key /etc/nixfleet-test/{name}.key https://cp:8443/healthz",
        timeout=150,
    )

with subtest("step 0: release g1"):
    cp.succeed("nixfleet-harness-release smoke g1 0")
harness_wait("step 1: wait {\"kind\":\"hostsConverged\"}", "{ 'nixfleet' 'status' '--json' '--cp-url' 'https://cp:8443' '--ca-cert' '/etc/nixfleet-test/ca.crt' '--client-cert' '/etc/nixfleet-test/operator.crt' '--client-key' '/etc/nixfleet-test/operator.key' || [ $? -eq 1 ]; } | jq -e '--argjson' 'hosts' '[\"db-01\",\"web-01\"]' '[.hosts[] | select(.hostname as $n | any($hosts[]; . == $n))] as $rows | ($rows | length) == ($hosts | length) and all($rows[]; .state == \"Converged\" and .currentClosure != null and .currentClosure == .declaredClosure)'", 150)

with subtest("no daemon restarted on its own"):
    for m, unit in [(cp, "nixfleet-control-plane.service")] + [(m, "nixfleet-agent.service") for m in [db_01, web_01]]:
        n = m.succeed(f"systemctl show -p NRestarts --value {unit}").strip()
        assert n == "0", f"{m.name}: {unit} restarted {n} times"

