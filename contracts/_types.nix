# Shared building blocks of the contracts: scalar formats (timestamps, closure
# hashes, names), the selector algebra, key slots, pins and probe declarations.
# Not a contract itself (the leading underscore keeps it out of the schema
# export). Written against the module-API subset of lib/schema, so it works
# with nixpkgs' lib as well.
#
# Usage: `t = import ./_types.nix { inherit lib; };`
{ lib }:
let
  inherit (lib) mkOption types;

  /**
    Shorthand for an option with a description and an example; `extra` may add
    `default`.

    Type: opt :: type -> string -> any -> attrset -> option
  */
  opt =
    type: description: example: extra:
    mkOption ({ inherit type description example; } // extra);

  # Consumers ignore unknown fields (additive evolution within a schemaVersion).
  open = {
    freeformType = types.attrsOf types.anything;
  };

  # Every integer of a contract is bounded: JSON numbers are IEEE doubles in
  # the TypeScript consumers, exact only up to 2^53-1 (Nix ints are 64-bit, so
  # the bound is representable). 2^53+1, 2^63 or 1e300 would otherwise be
  # accepted and silently rounded.
  maxSafeInt = 9007199254740991;
  bounded =
    lo: description:
    types.ints.between lo maxSafeInt
    // {
      description = "${description}, at most 2^53-1";
    };
  unsigned = bounded 0 "unsigned integer, meaning >=0";
  positive = bounded 1 "positive integer, meaning >0";
  int =
    types.ints.between (-maxSafeInt) maxSafeInt
    // {
      description = "integer between -(2^53-1) and 2^53-1";
    };

  timestamp = types.strMatching "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?Z";

  # Host names double as certificate CNs and URL segments: keep them tame.
  hostname = types.strMatching "[a-z0-9][a-z0-9._-]{0,62}";

  # Channel names appear in rollout ids (`<channel>@<ref>`, route filter [a-z0-9_-]+).
  channelName = types.strMatching "[a-z0-9_-]+";

  # Full basename of a store path: 32 Nix-base32 characters, a dash, the name.
  closureHash = types.strMatching "[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+._?=-]+";

  gitCommit = types.strMatching "[0-9a-f]{7,64}";

  sha256Hex = types.strMatching "[0-9a-f]{64}";

  base64 = types.strMatching "[A-Za-z0-9+/]+={0,2}";

  nonce = types.strMatching "[0-9a-f]{32}";

  rolloutId = types.strMatching "[a-z0-9_-]+@[0-9a-f]+";

  probeMode = types.enum [
    "enforce"
    "observe"
    "disabled"
  ];

  signatureAlgorithm = types.enum [
    "ed25519"
    "ecdsa-p256"
  ];

  /**
    The selector algebra of RFC-0001 §3. `normalized = true` is the shape of
    fleet.resolved and rollout manifests (all seven keys present); otherwise
    the fleet-input shape, where every key defaults.

    Type: selector :: { normalized :: bool } -> type
  */
  selector =
    { normalized }:
    let
      name = if normalized then "NormalizedSelector" else "Selector";
      self = selector { inherit normalized; };
      d = v: if normalized then { } else { default = v; };
    in
    types.submodule {
      options = {
        all = opt types.bool "Selects every host of the fleet." true (d false);
        and = opt (types.listOf self) "Intersection: a host must match every listed selector." [
          { tags = [ "web" ]; }
          { not.tags = [ "canary" ]; }
        ] (d [ ]);
        channel = opt (types.nullOr channelName) "Selects every host on this channel." "stable" (d null);
        hosts = opt (types.listOf types.str) "Selects these hosts by name (no wildcards)." [ "web-01" ] (d [ ]);
        not = opt (types.nullOr self) "Negation: hosts not matched by this selector." {
          tags = [ "canary" ];
        } (d null);
        tags = opt (types.listOf types.str) "Selects hosts carrying all of these tags." [ "canary" ] (d [ ]);
        tagsAny = opt (types.listOf types.str) "Selects hosts carrying any of these tags." [
          "eu-fr"
          "eu-de"
        ] (d [ ]);
      };
    }
    // {
      schemaName = name;
    };

  trustedPubkey =
    types.submodule {
      options = {
        algorithm = opt signatureAlgorithm "Signature algorithm of the key." "ed25519" { };
        public = opt base64 "Base64 of the raw public key: ed25519 32 bytes; ecdsa-p256 the uncompressed point without its 0x04 prefix (64 bytes, X||Y)." "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=" { };
      };
    }
    // {
      schemaName = "TrustedPubkey";
    };

  /**
    A rotating key slot. `withDefaults` is the NixOS-module side (every field
    defaults to null); trust.json carries every key, null when unset.

    Type: keySlot :: { withDefaults :: bool } -> type
  */
  keySlot =
    { withDefaults }:
    let
      d = if withDefaults then { default = null; } else { };
      key = types.nullOr trustedPubkey;
      ts = types.nullOr timestamp;
    in
    types.submodule {
      options = {
        current = opt key "The key that signs now." {
          algorithm = "ed25519";
          public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
        } d;
        previous = opt key "The key being rotated out; still accepted until `retireAt`." null d;
        rejectBefore = opt ts "Refuse any artifact whose meta.signedAt is earlier, whichever key signed it (compromise recovery)." "2026-01-01T00:00:00Z" d;
        successor = opt key "The announced next key; accepted alongside `current` during the overlap." null d;
        retireAt = opt ts "End of the rotation overlap: after it, `previous` is no longer accepted." "2026-02-01T00:00:00Z" d;
      };
    }
    // {
      schemaName = if withDefaults then "KeySlotOption" else "KeySlot";
    };

  /**
    A per-host commit pin. Input pins default `expiresAt` to null; resolved
    pins carry every key.

    Type: pin :: { withDefaults :: bool } -> type
  */
  pin =
    { withDefaults }:
    types.submodule {
      options = {
        commit = opt gitCommit "Source commit the host's closure must be built from." "3f2a9c1d" { };
        reason = opt types.str "Why the host is pinned (shown by `nixfleet status`)." "kernel regression on this hardware" { };
        expiresAt = opt (types.nullOr timestamp) "When the pin stops applying; null pins until removed." "2026-12-31T00:00:00Z" (
          if withDefaults then { default = null; } else { }
        );
      };
    }
    // {
      schemaName = if withDefaults then "PinInput" else "Pin";
    };

  /**
    The health gate of a rollout policy: conditions every host of the rollout
    checks after activation, each run by the agent as an enforce probe
    (`health-gate-<field>`, kind `health-gate`), so a breach holds the wave
    and applies onHealthFailure like any enforce-probe failure. Input gates
    are closed (a key the agent cannot measure is an error); signed ones
    carry every key, and an agent refuses (a failing gate probe) a key it
    does not know.

    Type: healthGate :: { input :: bool } -> type
  */
  healthGate =
    { input }:
    types.submodule (
      (if input then { } else open)
      // {
        options = {
          systemdFailedUnits = opt (types.nullOr (types.submodule {
            options.max = opt unsigned "Most failed systemd units tolerated on the host (`systemctl list-units --state=failed`; sandbox: lines of <root>/run/nixfleet-sandbox/failed-units)." 0 { };
          })) "Failed-units gate; null or absent: no such gate." { max = 0; } { default = null; };
        };
      }
    )
    // {
      schemaName = if input then "HealthGateInput" else "HealthGate";
    };

  /**
    Health-probe declarations of RFC-0007 §3.2, discriminated by `kind`.
    `resolved = true` is the rendered health-checks.json shape (every field
    present); otherwise the declaration shape of fleet.nix, with defaults.

    Type: probe :: { resolved :: bool } -> type
  */
  probe =
    { resolved }:
    let
      d = v: if resolved then { } else { default = v; };
      common = kind: {
        kind = opt (types.enum [ kind ]) "Probe kind (discriminator)." kind { };
        intervalSeconds = opt positive "Seconds between runs (must be > 0; use mode = \"disabled\" to suppress a probe)." 30 (d 30);
        mode = opt probeMode "enforce: gates wave promotion; observe: reported only; disabled: declared but not run." "enforce" (d "enforce");
      };
      variant =
        kind: name: options:
        types.submodule { options = common kind // options; }
        // {
          schemaName = if resolved then "${name}Resolved" else name;
        };
      controlOverride = types.submodule {
        options = {
          mode = opt (types.nullOr probeMode) "Mode for this control; null defers to the framework's mode." "enforce" (d null);
          reason = opt (types.nullOr types.str) "Why this control is overridden (audit annotation)." "always enforce access control" (d null);
        };
      };
    in
    types.oneOf [
      (variant "http" "HttpProbe" {
        url = opt types.str "URL to GET." "http://localhost/health" { };
        expectStatus = opt (types.ints.between 100 599) "Expected HTTP status." 200 (d 200);
        bodyContains = opt (types.nullOr types.str) "Substring the body must contain; null skips the check." "ok" (d null);
        jsonKey = opt (types.nullOr types.str) "Top-level key the body, parsed as a JSON object, must have (e.g. `versions` of Matrix's /_matrix/client/versions); null skips the check. A body that is not a JSON object fails the probe. Defaulted even in a resolved probe set, so files and manifests rendered before the field existed stay valid." "versions" { default = null; };
        timeoutSecs = opt positive "Request timeout in seconds." 3 (d 3);
      })
      (variant "tcp" "TcpProbe" {
        host = opt types.str "Host to connect to." "127.0.0.1" { };
        port = opt (types.ints.between 1 65535) "TCP port." 5432 { };
        connectTimeoutSecs = opt positive "Connect timeout in seconds." 3 (d 3);
      })
      (variant "exec" "ExecProbe" {
        command = opt types.str "Command line run without a shell (split on whitespace); the agent never runs commands sent over the wire, only ones rendered into its own closure." "/run/current-system/sw/bin/check-disk /var/lib/attic" { };
        expectExitCode = opt int "Expected exit code." 0 (d 0);
        timeoutSecs = opt positive "Timeout in seconds." 10 (d 10);
      })
      (variant "evidence" "EvidenceProbe" {
        framework = opt types.str "Compliance framework whose evidence is read." "nis2-essential" { };
        evidencePath = opt types.str "Evidence file written by the collector unit." "/var/lib/nixfleet-compliance/evidence.json" (d "/var/lib/nixfleet-compliance/evidence.json");
        reason = opt (types.nullOr types.str) "Most specific compliance refinement reason (audit annotation)." "Q2 audit window" (d null);
        controlOverrides = opt (types.attrsOf controlOverride) "Per-control mode overrides, keyed by control id." {
          "access-control".mode = "enforce";
        } (d { });
      })
    ];
in
{
  inherit
    opt
    open
    maxSafeInt
    unsigned
    positive
    int
    timestamp
    hostname
    channelName
    closureHash
    gitCommit
    sha256Hex
    base64
    nonce
    rolloutId
    probeMode
    signatureAlgorithm
    selector
    trustedPubkey
    keySlot
    pin
    healthGate
    probe
    ;
}
