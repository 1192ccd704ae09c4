#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian 12 machine:
# npm dependencies from the committed lockfile, and Debian's nix-bin (Nix 2.8)
# when `nix-instantiate` is missing and we are root. Idempotent and quiet when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm: reinstall when node_modules is missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm dependencies (npm ci)…"
  # The lockfile records every platform's optional packages (rollup's native
  # builds among them), so `npm ci` installs it as committed on any machine.
  # A refusal is a broken lockfile: fail here rather than rewrite it.
  npm ci --no-audit --no-fund --loglevel=error
fi
# better-sqlite3 is a native addon; a cached node_modules from another Node ABI
# must be rebuilt rather than crash at the first test.
if ! node -e "require('better-sqlite3')(':memory:').close()" 2>/dev/null; then
  echo "ensure-deps: rebuilding better-sqlite3 for this Node.js…"
  npm rebuild better-sqlite3 --loglevel=error
fi

# Debian tools the tests use for real: Nix itself, ssh-keygen (OpenSSH key
# interop), openssl (an external sign hook), tmux (driving the TUI), age
# (secret-hygiene scenario), ip (network namespaces for the harness),
# libfaketime (the harness's skewClock fault), jq (the microVM runner's
# conditions and invariants, run by tests/lib/harness), nats-server (the
# control plane's NATS notification sink is tested against the real broker;
# the comms-* harness scenarios run it as the fleet's broker, Debian's 2.9.10),
# PostgreSQL (the storage tests start a throwaway cluster with its initdb and
# pg_ctl).
# Missing ones are installed when we are root.
need=()
command -v nix-instantiate >/dev/null 2>&1 || need+=(nix-bin)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v age >/dev/null 2>&1 || need+=(age)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# libfaketime: the harness skewClock fault runs an agent under LD_PRELOAD.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1 ] || need+=(faketime)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing Debian packages: ${need[*]}…"
    export DEBIAN_FRONTEND=noninteractive
    # The tests run their own throwaway clusters: Debian's package must not
    # create (and, where services may start, run) a system cluster beside them.
    if [[ " ${need[*]} " == *" postgresql "* ]]; then
      mkdir -p /etc/postgresql-common/createcluster.d
      echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/nixfleet-tests.conf
    fi
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ensure-deps: missing Debian packages: ${need[*]}. Install them (sudo apt-get install ${need[*]}) and run again." >&2
    exit 1
  fi
fi

# Nix 2.8 from Debian runs single-user as root here; without nixpkgs the
# sandbox buys nothing and needs user namespaces CI may not have.
if [ "$(id -u)" = 0 ] && [ -d /etc/nix ] && ! grep -q '^sandbox' /etc/nix/nix.conf 2>/dev/null; then
  echo 'sandbox = false' >> /etc/nix/nix.conf
fi
