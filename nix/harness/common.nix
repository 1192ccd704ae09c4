# What the microVM runner's pieces share (nix/harness/*.nix): where things
# live on the test nodes, shell and Python quoting, the operator CLI
# invocation, and the "not supported" error. Builtins only.
let
  inherit (builtins)
    concatStringsSep
    replaceStrings
    toJSON
    ;
in
rec {
  /**
    Fixed locations on the nodes. `nix/harness/microvm.nix` creates them;
    the test script only refers to them.

    Type: paths :: attrset of string
  */
  paths = rec {
    # The fixture PKI (CA, CP server, per-host and operator certificates).
    pki = "/etc/nixfleet-test";
    # Read-only inputs of the CI role on the cp node: the repository's Nix
    # sources, the scenario file, the test-only signing keys.
    inputs = "/etc/nixfleet-harness";
    src = "${inputs}/src";
    scenario = "${inputs}/scenario.nix";
    ciKey = "${inputs}/ci-release.key";
    cacheSecret = "${inputs}/cache.secret";
    # Writable state of the CI role: fleet files, release summaries, the
    # signed release directory the CP reads and the binary cache it serves.
    work = "/var/lib/nixfleet-harness";
    fleets = "${work}/fleets";
    released = "${work}/released";
    releases = "${work}/releases";
    cache = "${work}/cache";
    cpDb = "/var/lib/nixfleet-cp/state.db";
    cpTrust = "/etc/nixfleet/cp/trust.json";
    # The module's default auditLogPath: every certificate the CP issued.
    cpIssuanceLog = "/var/lib/nixfleet-cp/issuance.log";
    # The test-only org root key that signs bootstrap tokens (cp node).
    orgRootKey = "${inputs}/org-root.key";
    # What generation.nix's runnerFile carries (host pubkeys, the nonces of
    # tokens minted in this run, secret ciphertexts), written at run time.
    runnerFile = "${work}/runner.json";
    # Tokens minted in this run (the copy an attacker would replay), the
    # replays' outcomes, host files gathered for a condition or invariant.
    tokens = "${work}/tokens";
    replays = "${work}/replays";
    gathered = "${work}/gathered";
    secrets = "${work}/secrets";
    # On the hosts: the agent's state (the module's default stateDir), the
    # bootstrap token an enrolling host gets, the harness's own records.
    agentState = "/var/lib/nixfleet-agent";
    bootstrapToken = "/var/lib/nixfleet-bootstrap/token.json";
    hostRecords = "/var/lib/nixfleet-recovery";
  };

  cpPort = 8443;
  cachePort = 5000;
  cpUrl = "https://cp:${toString cpPort}";
  cacheUrl = "http://cp:${toString cachePort}";

  /**
    A POSIX shell single-quoted word.

    Type: shellArg :: string -> string

    Example: shellArg "it's" => "'it'\\''s'"
  */
  shellArg = s: "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";

  /**
    A Python string literal (JSON string syntax is a subset of Python's).

    Type: py :: string -> string
  */
  py = s: toJSON s;

  /**
    The Python variable the NixOS test driver binds to a node (dashes
    become underscores).

    Type: nodeVar :: string -> string
  */
  nodeVar = replaceStrings [ "-" ] [ "_" ];

  /**
    Flags of every operator command: the operator certificate issued by the
    fixture PKI, against the cp node.

    Type: operatorFlags :: [ string ]
  */
  operatorFlags = [
    "--cp-url"
    cpUrl
    "--ca-cert"
    "${paths.pki}/ca.crt"
    "--client-cert"
    "${paths.pki}/operator.crt"
    "--client-key"
    "${paths.pki}/operator.key"
  ];

  /**
    An operator CLI command line (`nixfleet <args> <operator flags>`). Its
    exit code (1 when a host failed) is not the condition: a jq filter is.

    Type: cli :: [ string ] -> string
  */
  cli = args: concatStringsSep " " (map shellArg ([ "nixfleet" ] ++ args ++ operatorFlags));

  /**
    The argv of `cli` without the program name, for the CLI parser test.

    Type: cliArgv :: [ string ] -> [ string ]
  */
  cliArgv = args: args ++ operatorFlags;

  /**
    The error for a scenario element this runner cannot play. The prefix is
    stable: tests and users match on it.

    Type: unsupported :: string -> string -> string -> never

    Example: unsupported "smoke" "step 3" "fault frobnicate" => throws "harness smoke, step 3: not supported by the microVM runner: fault frobnicate"
  */
  unsupported =
    scenario: where: what:
    throw "harness ${scenario}, ${where}: not supported by the microVM runner: ${what}";
}
