# The comms fleet's services in harness closures (scenarios comms-*): what
# a host of examples/comms runs, as sandbox "units" its
# switch-to-configuration starts and replaces the way systemd does.
#
# A unit is an executable script in the closure (etc/sandbox-units/<name>,
# its ExecStart); its configuration is a store path of its own, so the unit's
# text changes only when its configuration does, as a NixOS unit file. The
# switch (unitSwitch) stops every running unit the new system lacks or whose
# text changed, then starts every unit of the new system that is not
# running: an unchanged unit keeps running across switches, a changed one is
# restarted, a rollback restarts the old one. Units run detached in their
# own session with pid files under <root>/run/nixfleet-sandbox/units; the
# runner stops them at teardown (ts/harness/services.ts).
#
# Host binaries the runner names in runnerFile (`services`): Debian's
# nats-server, Node.js and the nats client package; they stand in for the
# store paths services.nats and the agents' packages would use on NixOS.
{ runner }:
let
  settings = import ../../../examples/comms/settings.nix;
  svc =
    runner.services
      or (throw "comms scenario: the runner supplied no services (nats-server, node, nats client) in runnerFile");
  text =
    name: content:
    builtins.derivation {
      inherit name content;
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/bin:/usr/bin";
      args = [
        "-c"
        "printf '%s' \"$content\" > $out"
      ];
    };
  script =
    name: file:
    builtins.path {
      path = file;
      inherit name;
    };
  heartbeatClient = script "comms-heartbeat.mjs" ../comms/heartbeat.mjs;
  matrixStandIn = script "comms-matrix-stand-in.mjs" ../comms/matrix-stand-in.mjs;
  brokerOf = svc.addresses.nats-01 or (throw "comms scenario: no address for nats-01 in runnerFile");
in
{
  /**
    Units of a host: { <name> = "<script text>"; }. `spec` is the
    generation's comms entry for the host ({ role; revision; broker;
    nkeyUsers; }).
  */
  units =
    host: spec:
    if spec.role == "nats" then
      {
        nats = ''
          #!/bin/sh
          mkdir -p "$NIXFLEET_SANDBOX_ROOT/var/lib/nats"
          NATS_STORE_DIR="$NIXFLEET_SANDBOX_ROOT/var/lib/nats" exec ${svc.natsServer} -c "$NIXFLEET_SANDBOX_ROOT${
            text "nats.conf" (settings.nats {
              inherit (spec) revision nkeyUsers;
              serverName = host;
            })
          }"
        '';
      }
    else if spec.role == "matrix" then
      {
        matrix-stand-in = ''
          #!/bin/sh
          exec ${svc.node} "$NIXFLEET_SANDBOX_ROOT${matrixStandIn}" "$NIXFLEET_SANDBOX_ROOT${
            text "matrix-versions.json" (builtins.toJSON (settings.matrixVersions // { inherit (spec) revision; }))
          }" ${toString settings.ports.matrix}
        '';
      }
    else
      {
        fleet-heartbeat = ''
          #!/bin/sh
          NATS_CLIENT=${svc.natsClient} exec ${svc.node} "$NIXFLEET_SANDBOX_ROOT${heartbeatClient}" "$NIXFLEET_SANDBOX_ROOT${
            text "heartbeat.json" (settings.heartbeat {
              inherit host;
              inherit (spec) revision;
              broker = if spec.broker != null then spec.broker else "nats://${brokerOf}:${toString settings.ports.nats}";
              intervalMs = 1000;
            })
          }"
        '';
      };

  /** Shell run by the switch: replace units as systemd does (see above). */
  unitSwitch = ''
    units="$NIXFLEET_SANDBOX_ROOT/run/nixfleet-sandbox/units"
    new="$NIXFLEET_SANDBOX_ROOT$NIXFLEET_SYSTEM/etc/sandbox-units"
    mkdir -p "$units" "$NIXFLEET_SANDBOX_ROOT/var/log"
    for pidf in "$units"/*.pid; do
      [ -e "$pidf" ] || continue
      u=$(basename "$pidf" .pid)
      if [ -f "$new/$u" ] && cmp -s "$new/$u" "$units/$u.unit" && kill -0 "$(cat "$pidf")" 2>/dev/null; then
        continue
      fi
      pid=$(cat "$pidf")
      kill -TERM "$pid" 2>/dev/null
      i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
      kill -KILL "$pid" 2>/dev/null
      rm -f "$pidf" "$units/$u.unit"
      echo "stopped $u"
    done
    for f in "$new"/*; do
      [ -e "$f" ] || continue
      u=$(basename "$f")
      [ -e "$units/$u.pid" ] && continue
      cp "$f" "$units/$u.unit"
      setsid /bin/sh "$f" >> "$NIXFLEET_SANDBOX_ROOT/var/log/$u.log" 2>&1 < /dev/null &
      echo $! > "$units/$u.pid"
      echo "started $u"
    done
  '';
}
