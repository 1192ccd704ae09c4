# An age-encrypted secret (agenix-style: ciphertext in the store, encrypted
# to each host's SSH host key) is decrypted only on the host, by the switch;
# its plaintext appears nowhere else — not in the CP's database, WAL, logs or
# issuance log, the release directory, the binary cache, any process log or
# any host's store.
{
  name = "secret-hygiene";
  description = "An age-encrypted secret is decrypted on the host only; no plaintext anywhere under the CP's state, logs, issuance log, release dir, cache or stores.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.g1.default.secrets = [ "db-password" ];
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
  ];
  invariants = [ "secretsConfined" ];
}
