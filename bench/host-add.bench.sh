#!/usr/bin/env bash
# A new host in under a minute, measured: from `nixfleet host add` to the
# host enrolled, visible in `nixfleet status` and converged on its channel's
# closure, with the release in between, the control plane and the agents at
# their shipped default timings. Real processes on this machine: `nixfleet
# release` (Nix builds into a signed binary cache directory), one
# `nixfleet-control-plane serve`, sandbox agents (docs/getting-started.md).
# The fleet (web-01, converged) is set up first and not measured.
#
#   bash bench/host-add.bench.sh [workdir]    # prints the figure and its breakdown
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d /tmp/nixfleet-host-add-XXXXXX)}
export NIX_CONFIG=$'experimental-features = nix-command\nsandbox = false'
export HOME="$WORK/home" USER=alice
mkdir -p "$HOME/bin" "$WORK/fleet"
for b in nixfleet nixfleet-agent nixfleet-control-plane; do ln -sf "$SRC/bin/$b.mjs" "$HOME/bin/$b"; done
export PATH="$HOME/bin:$PATH"
trap 'kill $(jobs -p) 2> /dev/null || true' EXIT
PORT=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
now() { date +%s.%N; }
log() { echo "[$(date -u +%T)] $*" >&2; }

cd "$WORK/fleet"
nixfleet init acme --cp-url "https://127.0.0.1:$PORT" --operator alice > /dev/null
cd acme
export NIXFLEET_CONFIG="$PWD/nixfleet.toml"

# The guide's fleet, with its hosts read from hosts.json (`host add --write`).
cat > fleet.nix <<'NIX'
{ mkFleet, ... }:
let
  site = builtins.toFile "index.html" "hello, world\n";
  siteOk = builtins.derivation {
    name = "site-ok"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/bin:/usr/bin";
    args = [ "-c" "mkdir -p $out/bin && printf '#!/bin/sh\\ngrep -q hello ${site}\\n' > $out/bin/site-ok && chmod +x $out/bin/site-ok" ];
  };
  configuration = name: {
    config.system.build.toplevel = builtins.derivation {
      name = "nixos-system-${name}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/bin:/usr/bin";
      checks = builtins.toJSON fleet.healthChecks.${name};
      args = [ "-c" "mkdir -p $out/bin $out/etc/nixfleet/agent && ln -s ${site} $out/index.html && printf '#!/bin/sh\\nexit 0\\n' > $out/bin/switch-to-configuration && chmod +x $out/bin/switch-to-configuration && printf '%s' \"$checks\" > $out/etc/nixfleet/agent/health-checks.json" ];
    };
  };
  # hosts.json: written by `nixfleet host add --write hosts.json`.
  hosts = builtins.listToAttrs (map (h: {
    name = h.hostname;
    value = { system = builtins.currentSystem; configuration = configuration h.hostname; inherit (h) channel tags pubkey; };
  }) (builtins.fromJSON (builtins.readFile ./hosts.json)));
  fleet = mkFleet {
    inherit hosts;
    tags.agent.description = "Fleet agents.";
    channels.stable = { rolloutPolicy = "all"; freshnessWindow = 1440; };
    rolloutPolicies.all = { strategy = "all-at-once"; waves = [ { selector.all = true; } ]; onHealthFailure = "rollback-and-halt"; };
    healthChecks.site-ok = { kind = "exec"; command = "${siteOk}/bin/site-ok"; intervalSeconds = 5; mode = "enforce"; };
    bootstrapNonces = builtins.fromJSON (builtins.readFile ./nonces.json);
  };
in
fleet
NIX
echo '[]' > nonces.json
# The first host, by hand as in the guide (host add needs a released fleet).
mkdir -p hosts/web-01
ssh-keygen -q -t ed25519 -N '' -C root@web-01 -f hosts/web-01/ssh_host_ed25519_key
nixfleet mint-token --hostname web-01 --pubkey-file hosts/web-01/ssh_host_ed25519_key.pub \
  --org-root-key keys/org-root.key --trust trust.json --nonces-file nonces.json > hosts/web-01/token.json 2> /dev/null
printf '[{"hostname":"web-01","channel":"stable","tags":["agent"],"pubkey":"%s"}]\n' \
  "$(cut -d' ' -f1,2 hosts/web-01/ssh_host_ed25519_key.pub)" > hosts.json
printf '%s\n' 'keys/*.key' 'hosts/' 'cache/' 'state/' >> .gitignore
git init -q && git add -A && git -c user.email=a@b -c user.name=alice commit -qm "acme: web-01"

release() {
  nixfleet release --fleet-file fleet.nix --trust-file trust.json --release-dir releases \
    --sign-cmd "nixfleet sign --key keys/ci-release.key" \
    --push-cmd 'nix copy --to "file://$PWD/cache?secret-key=$PWD/keys/cache.sk" "$NIXFLEET_PATH"' > /dev/null 2>&1
}
release

# Control plane and agents: every timing at its shipped default.
mkdir -p state
nixfleet-control-plane serve --listen "127.0.0.1:$PORT" \
  --tls-cert pki/cp-server.pem --tls-key pki/cp-server.key \
  --fleet-ca-cert pki/fleet-ca.pem --fleet-ca-key pki/fleet-ca.key \
  --trust-file trust.json --release-dir releases --db state/cp.db > state/cp.log 2>&1 &
agent() {
  h=$1
  nixfleet-agent --machine-id "$h" --control-plane-url "https://127.0.0.1:$PORT" \
    --trust-file trust.json --ca-cert pki/fleet-ca.pem \
    --ssh-host-key-file "hosts/$h/ssh_host_ed25519_key" --bootstrap-token-file "hosts/$h/token.json" \
    --state-dir "hosts/$h/state" --activation-backend sandbox --cache-url "file://$PWD/cache" \
    > "hosts/$h/agent.log" 2>&1 &
}
until nixfleet whoami > /dev/null 2>&1; do sleep 0.5; done
agent web-01
log "setup: waiting for web-01 to converge (the CP plans after its start-up warm-up)"
rollout=stable@$(git rev-parse HEAD)
until nixfleet rollout hosts "$rollout" 2> /dev/null | grep -q '^web-01 *Converged'; do sleep 1; done
log "setup done"

# ---- measured from here ----
H=agent-17
T0=$(now)
nixfleet host add $H --tags agent --fleet-resolved releases/fleet.resolved.json \
  --trust trust.json --org-root-key keys/org-root.key \
  --write hosts.json --nonces-file nonces.json 2> /dev/null
T_ADD=$(now)
# The machine boots with its key and token while CI releases.
agent $H
git add -A && git -c user.email=a@b -c user.name=alice commit -qm "acme: $H"
release
T_REL=$(now)
closure=$(node -e 'const r=require(process.argv[1]);console.log(r.hosts[process.argv[2]].closureHash)' "$PWD/releases/fleet.resolved.json" $H)
until nixfleet status --json 2> /dev/null | node -e '
  let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{
    const d=JSON.parse(s);const h=(d.hosts||[]).find(x=>(x.hostname??x.name)===process.argv[1]);
    process.exit(h&&JSON.stringify(h).includes(process.argv[2])&&/[Cc]onverged/.test(JSON.stringify(h))?0:1)})' $H "$closure"; do
  sleep 0.25
done
T_DONE=$(now)
node "$SRC/bench/host-add-breakdown.mjs" "$T0" "$T_ADD" "$T_REL" "$T_DONE" \
  "hosts/$H/agent.log" state/cp.log "$(git rev-parse HEAD)"
