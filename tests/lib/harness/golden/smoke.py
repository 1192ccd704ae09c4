# Harness scenario smoke (microVM runner, nix/harness/plan.nix): One control plane, two agents reach it over mTLS and stay up.

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

