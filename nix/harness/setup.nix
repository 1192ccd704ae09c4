# What the microVM runner does before a scenario's timeline (the local
# runner's fixtures.ts and secrets.ts, at test run time on the nodes): the
# runner file generation.nix reads (host pubkeys), each secret a generation
# ships (encrypted on the cp node to the host's key, the host key installed
# where the switch decrypts with it), and the real enrollment of the hosts
# whose bootstrap token the scenario replays. Builtins only.
let
  inherit (builtins) concatLists concatStringsSep;
  c = import ./common.nix;
in
/**
  The setup actions (types setup, secret, enroll; played by
  nix/harness/timeline.nix's Python and by tests/modules' loopback play) and
  the hosts that enroll.

  Type: setup :: { scenario, hosts } -> { actions :: [ attrset ], enrolling :: [ string ] }
*/
{ scenario, hosts }:
let
  # (host, secret) pairs any generation ships (ts/harness/secrets.ts declaredSecrets).
  secretsOf =
    h:
    builtins.attrNames (
      builtins.listToAttrs (
        concatLists (
          map (
            gen:
            map (n: {
              name = n;
              value = true;
            }) ((gen.hosts.${h} or gen.default).secrets or [ ])
          ) (builtins.attrValues scenario.generations)
        )
      )
    );
  secretPairs = concatLists (
    map (
      h:
      map (n: {
        host = h;
        name = n;
      }) (secretsOf h)
    ) hosts
  );
  # Hosts whose bootstrap token the scenario replays enroll for real.
  enrolling = builtins.attrNames (
    builtins.listToAttrs (
      concatLists (
        map (
          st:
          if (st.fault or null) != null && st.fault.kind == "replayEnrollToken" then
            map (h: {
              name = h;
              value = true;
            }) (st.fault.hosts or [ ])
          else
            [ ]
        ) scenario.steps
      )
    )
  );
  actions =
    [
      {
        type = "setup";
        label = "runner file (host pubkeys)";
        command = "nixfleet-harness-init ${concatStringsSep " " hosts}";
      }
    ]
    ++ map (x: {
      type = "secret";
      label = "secret ${x.name} of ${x.host}: encrypted to its host key";
      inherit (x) host name;
      command = "nixfleet-harness-secret ${x.host} ${x.name}";
      install = "install -D -m 0600 ${c.paths.pki}/${x.host}.ssh_host_ed25519_key ${c.paths.agentState}/sandbox/etc/ssh/ssh_host_ed25519_key";
    }) secretPairs
    ++ map (h: {
      type = "enroll";
      label = "${h} enrolls with a bootstrap token minted now";
      host = h;
      mint = "nixfleet-harness-mint-token ${h}";
      install = "(umask 077 && mkdir -p ${dirOf c.paths.bootstrapToken} && cat > ${c.paths.bootstrapToken})";
      start = "systemctl start nixfleet-agent.service";
    }) enrolling;
in
{
  inherit actions enrolling;
}
