# Turns a harness scenario generation into a fleet file for `nixfleet release
# --fleet-file`: the scenario's mkFleet input, with each host's configuration a
# tiny builtins.derivation toplevel whose behaviour the generation controls.
# The closure carries etc/nixfleet/agent/health-checks.json rendered from
# mkFleet's own effective probe set (RFC-0007 §5: the closure hash signs the
# probe topology; `nixfleet release` checks the file renders every declared
# probe, identically), and depends on the exec probe script it names, which
# passes or fails.
#
#   nixfleet release --fleet-file <(this, via --argstr)…
{
  scenarioFile,
  generation,
  # JSON written by the runner: { pubkeys = { <host> = "ssh-ed25519 …"; }; bootstrapNonces = [ … ]; }
  runnerFile ? null,
}:
let
  schema = import ../../../lib/schema;
  scenario = schema.check "scenario ${scenarioFile}" (schema.loadContract ../../../contracts/harness-scenario.nix) (import (/. + scenarioFile));
  gen =
    scenario.generations.${generation}
      or (throw "scenario ${scenario.name}: unknown generation ${generation}; known: ${builtins.concatStringsSep ", " (builtins.attrNames scenario.generations)}");
  behaviourOf = host: gen.hosts.${host} or gen.default;
  recursiveUpdate =
    a: b:
    a // builtins.mapAttrs (k: v: if builtins.isAttrs v && builtins.isAttrs (a.${k} or null) then recursiveUpdate a.${k} v else v) b;
  # The option values a host's configuration has in this generation (what
  # the static compliance gate reads): the hardened stand-in, which passes
  # every control, with what the generation sets over it.
  hardened = import ../../lib/support/hardened.nix;
  optionsOf = host: recursiveUpdate hardened (gen.nixos.${host} or { });
  runner = if runnerFile == null then { } else builtins.fromJSON (builtins.readFile (/. + runnerFile));
  # Hosts `nixfleet host add --write` put in the fleet's hosts.json and their
  # nonces (step hostAdd: runner.hostsFile, runner.noncesFile), taken as a
  # fleet author's fleet.nix takes them.
  jsonList = key: if runner ? ${key} && builtins.pathExists (/. + runner.${key}) then builtins.fromJSON (builtins.readFile (/. + runner.${key})) else [ ];
  added = builtins.listToAttrs (
    map (h: {
      name = h.hostname;
      value = {
        system = builtins.currentSystem;
        inherit (h) channel tags pubkey;
      };
    }) (jsonList "hostsFile")
  );
  withRunner =
    fleet:
    fleet
    // {
      hosts = builtins.mapAttrs (n: h: h // { pubkey = (runner.pubkeys or { }).${n} or (h.pubkey or null); }) fleet.hosts // added;
      bootstrapNonces = (fleet.bootstrapNonces or [ ]) ++ (runner.bootstrapNonces or [ ]) ++ jsonList "noncesFile";
    };

  # Every host runs one enforce exec probe whose script the generation
  # controls; scenarios may declare more probes in their fleet. The script
  # is its own store path, named in the host's declaration, so fleet.nix and
  # the rendered file say the same thing and the toplevel depends on it.
  probeName = "harness-health";
  probeScript =
    host:
    builtins.derivation {
      name = "harness-probe-${host}-${generation}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/bin:/usr/bin";
      probe = if (behaviourOf host).probe == "pass" then "#!/bin/sh\nexit 0\n" else "#!/bin/sh\necho 'harness probe failing' >&2\nexit 1\n";
      args = [
        "-c"
        "mkdir -p $out/bin && printf '%s' \"$probe\" > $out/bin/harness-probe && chmod +x $out/bin/harness-probe"
      ];
    };
  withProbe =
    fleet:
    fleet
    // {
      hosts = builtins.mapAttrs (
        name: h:
        h
        // {
          healthChecks = (h.healthChecks or { }) // {
            ${probeName} = {
              kind = "exec";
              command = "${probeScript name}/bin/harness-probe";
              intervalSeconds = scenario.timing.probeIntervalSecs;
              mode = "enforce";
              timeoutSecs = 5;
            };
          };
        }
      ) fleet.hosts;
    };

  # First pass: mkFleet without configurations gives the effective probe
  # sets; the second pass adds toplevels that carry them.
  probesOnly =
    let
      probed = withProbe (withRunner scenario.fleet);
    in
    (import ../../../lib).mkFleet (
      probed
      // {
        # Only the probe sets are read from this pass; a placeholder toplevel
        # satisfies the configuration invariant without building anything.
        # The hardened stand-in keeps the compliance gate quiet here: the
        # release itself evaluates the generation's options (second pass).
        hosts = builtins.mapAttrs (_: h: h // { configuration.config = recursiveUpdate hardened { system.build.toplevel = "placeholder"; }; }) probed.hosts;
      }
    );

  switchScript =
    b:
    if b.switch == "fail" then
      "#!/bin/sh\necho 'activation failed: harness generation ${generation}' >&2\nexit 1\n"
    else
      "#!/bin/sh\nexit 0\n";

  # Age-encrypted secrets, as with agenix: the runner encrypts each host's
  # secret to that host's SSH host key (age accepts ssh-ed25519 recipients)
  # and names the ciphertext file in runnerFile; the ciphertext is copied
  # into the store and becomes part of the closure. Only the switch, on the
  # host, decrypts it with the host key into the state root (run/agenix). On
  # the sandbox backend the store and /etc live under NIXFLEET_SANDBOX_ROOT;
  # on a real host that variable is empty.
  secretFile =
    host: name:
    let
      file =
        ((runner.secrets or { }).${host} or { }).${name}
          or (throw "scenario ${scenario.name}: host ${host} ships secret ${name} but the runner supplied no ciphertext for it");
    in
    builtins.path {
      path = /. + file;
      name = "harness-secret-${host}-${name}.age";
    };
  decryptSecrets =
    host: b:
    builtins.concatStringsSep "" (
      map (name: ''
        umask 077
        mkdir -p "$NIXFLEET_SANDBOX_ROOT/run/agenix"
        age --decrypt -i "$NIXFLEET_SANDBOX_ROOT/etc/ssh/ssh_host_ed25519_key" -o "$NIXFLEET_SANDBOX_ROOT/run/agenix/${name}.tmp" "$NIXFLEET_SANDBOX_ROOT${secretFile host name}" || exit 1
        mv -f "$NIXFLEET_SANDBOX_ROOT/run/agenix/${name}.tmp" "$NIXFLEET_SANDBOX_ROOT/run/agenix/${name}"
      '') b.secrets
    );
  # The hive-matrix module's decisions for a host of this generation
  # (examples/hive/settings.nix), or null.
  hiveOf =
    host:
    if gen.hive ? ${host} then
      import ../../../examples/hive/settings.nix {
        inherit (gen.hive.${host}) defaults domain matrix;
      }
    else
      null;

  # Tokens created on the host at activation, with the hive-matrix module's
  # own snippet (examples/hive/settings.nix): random, 0600, never in the
  # store (secretsConfined scans for them everywhere else).
  writeTokens =
    b:
    builtins.concatStringsSep "" (
      map (
        path:
        "ROOT=\"$NIXFLEET_SANDBOX_ROOT\"\n"
        + (import ../../../examples/hive/settings.nix { matrix.registrationTokenFile = path; }).tokenActivation
      ) b.activationTokens
    );

  # The sandbox's failed systemd units (what the health gate's
  # systemdFailedUnits measures): every switch of a scenario that uses them
  # rewrites the file, so switching back clears what a bad generation left.
  usesFailedUnits = builtins.any (
    g: builtins.any (b: b.failedUnits != [ ]) ([ g.default ] ++ builtins.attrValues g.hosts)
  ) (builtins.attrValues scenario.generations);
  writeFailedUnits =
    b:
    if !usesFailedUnits then
      ""
    else
      ''
        mkdir -p "$NIXFLEET_SANDBOX_ROOT/run/nixfleet-sandbox"
        printf '${builtins.concatStringsSep "" (map (u: "${u}\\n") b.failedUnits)}' > "$NIXFLEET_SANDBOX_ROOT/run/nixfleet-sandbox/failed-units"
      '';

  # What the switch does before it exits as switchScript says: decrypt the
  # generation's secrets, record its failed units, then take switchSecs (a
  # slow activation a fault can land inside).
  fullSwitchScript =
    host: b:
    let
      base = switchScript b;
      prelude = decryptSecrets host b + writeTokens b + writeFailedUnits b + (complianceOf host).collect + (if b.switchSecs > 0 then "sleep ${toString b.switchSecs}\n" else "");
    in
    if prelude == "" then base else "#!/bin/sh\n" + prelude + builtins.substring 10 (builtins.stringLength base) base;

  # Compliance (docs/compliance.md): a host whose channel enables frameworks
  # carries, like services.nixfleet-compliance renders it, the controls file
  # of those frameworks, and its switch runs the real collector over it (as
  # activation starts the collector's unit), writing host-signed evidence
  # under the sandbox's /var. The catalogue's probe commands (sshd -T,
  # sysctl, auditctl, …) need a NixOS host, so the closure carries stand-ins
  # under their own names, on the collector's PATH only: each prints what a
  # compliant host prints for exactly the argv a control runs, or, for the
  # generation's failingControls, a value the control does not accept.
  complianceOf = import ./compliance.nix {
    inherit scenario generation;
    frameworksOf = host: map (p: p.framework) (
      builtins.filter (p: p.kind == "evidence") (builtins.attrValues probesOnly.healthChecks.${host}.probes)
    );
    failingOf = host: (behaviourOf host).failingControls;
    collector = runner.collector or null;
  };

  # The comms fleet's services (scenarios comms-*): units the switch starts
  # and replaces as systemd would (comms.nix).
  comms = import ./comms.nix { inherit runner; };
  unitsOf = host: if gen.comms ? ${host} then comms.units host gen.comms.${host} else { };
  withUnits =
    host: script:
    if unitsOf host == { } then script else "#!/bin/sh\n" + comms.unitSwitch + builtins.substring 10 (builtins.stringLength script) script;

  # The four switch-inhibiting components (contracts §I.7) are symlinks into
  # their own store paths, as on NixOS: generations share them unless the
  # generation changes one (inhibit-*), which the agent must defer on.
  component =
    name: version:
    builtins.derivation {
      name = "harness-${name}-${version}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/bin:/usr/bin";
      args = [ "-c" "echo ${name}-${version} > $out" ];
    };

  toplevel =
    host:
    let
      b = behaviourOf host;
      changed = if b.switch == "inhibit-kernel" then "kernel" else if b.switch == "inhibit-dbus" then "dbus" else null;
      version = c: if changed == c then generation else "stable";
    in
    builtins.derivation (
      {
      name = "nixos-system-${host}-${generation}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/bin:/usr/bin";
      switch = withUnits host (fullSwitchScript host b);
      unitsScript = builtins.concatStringsSep "\n" (
        builtins.genList (
          i:
          let
            n = builtins.elemAt (builtins.attrNames (unitsOf host)) i;
          in
          "printf '%s' \"$unit${toString i}\" > $out/etc/sandbox-units/${n} && chmod +x $out/etc/sandbox-units/${n}"
        ) (builtins.length (builtins.attrNames (unitsOf host)))
      );
      # Carries the probe script's store path (and so the dependency on it).
      checks = builtins.toJSON probesOnly.healthChecks.${host};
      kernel = component "kernel" (version "kernel");
      dbus = component "dbus" (version "dbus");
      systemd = component "systemd" "stable";
      init = component "init" "stable";
      compliance = (complianceOf host).build;
    }
    # One variable per unit, its text (names in unitsScript).
    // builtins.listToAttrs (
      builtins.genList (i: {
        name = "unit${toString i}";
        value = builtins.elemAt (builtins.attrValues (unitsOf host)) i;
      }) (builtins.length (builtins.attrNames (unitsOf host)))
    )
    // {
      args = [
        "-c"
        ''
          mkdir -p $out/bin $out/etc/nixfleet/agent $out/etc/systemd/system $out/sw/lib/systemd
          printf '%s' "$switch" > $out/bin/switch-to-configuration
          chmod +x $out/bin/switch-to-configuration
          printf '%s' "$checks" > $out/etc/nixfleet/agent/health-checks.json
          if [ -n "$unitsScript" ]; then
            mkdir -p $out/etc/sandbox-units
            eval "$unitsScript"
          fi
          ln -s $kernel $out/kernel
          ln -s $dbus $out/etc/systemd/system/dbus.service
          ln -s $systemd $out/sw/lib/systemd/systemd
          ln -s $init $out/init
          eval "$compliance"
        ''
      ];
    }
    );
in
{ mkFleet, ... }:
let
  # The runner's host pubkeys ride on the hosts, so map over those (mapping
  # over scenario.fleet.hosts would drop them from the signed fleet.resolved).
  fleet = withProbe (withRunner scenario.fleet);
in
mkFleet (
  fleet
  // {
    hosts = builtins.mapAttrs (
      name: h:
      h
      // {
        configuration.config = recursiveUpdate (optionsOf name) {
          # A failed hive-matrix assertion aborts the system's evaluation, as on NixOS.
          system.build.toplevel =
            let
              failed = (hiveOf name).failed or [ ];
            in
            if failed != [ ] then
              throw "\nFailed assertions:\n${builtins.concatStringsSep "\n" (map (m: "- ${m}") failed)}"
            else
              toplevel name;
          # What the host's modules declare irrevocable in this generation
          # (mkFleet reads it like a NixOS configuration's nixfleet.irrevocable):
          # the hive-matrix module's effective serverName, and any other value.
          nixfleet.irrevocable =
            (
              let
                h = hiveOf name;
              in
              if h == null || h.cfg.serverName == null then { } else { inherit (h.cfg) serverName; }
            )
            // (gen.irrevocable.${name} or { });
        };
      }
    ) fleet.hosts;
  }
)
