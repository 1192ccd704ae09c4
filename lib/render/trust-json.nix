# Renders /etc/nixfleet/{agent,cp}/trust.json (CONTRACTS.md "trust.json",
# contracts/trust-json.nix) from the values of the `nixfleet.trust` NixOS
# option (contracts/trust.nix). Owns: picking exactly the contract's fields,
# `schemaVersion = 1`, every key-slot field present (null when unset), and
# validating the result. Never reads files or private keys.
#
# Builtins only, so the same function runs inside a NixOS evaluation
# (modules/scopes/nixfleet/_trust-json.nix) and in `nix-instantiate` tests.
let
  inherit (builtins) concatMap filter;
  schema = import ../schema;
  contract = schema.loadContract ../../contracts/trust-json.nix;

  pubkey =
    k:
    if k == null then
      null
    else
      {
        inherit (k) algorithm public;
      };

  # Under NixOS a slot is a submodule value with every field; in tests it may
  # be sparse. Either way the output carries all five keys.
  slot = s: {
    current = pubkey (s.current or null);
    previous = pubkey (s.previous or null);
    rejectBefore = s.rejectBefore or null;
    successor = pubkey (s.successor or null);
    retireAt = s.retireAt or null;
  };

  slotKeys =
    s:
    filter (k: k != null) [
      (s.current or null)
      (s.previous or null)
      (s.successor or null)
    ];
in
{
  /**
    The trust.json value for a `nixfleet.trust` value; throws with every
    contract error (option paths relative to trust.json) when invalid.

    Type: render :: { ciReleaseKey ? slot, cacheKeys ? [ string ], orgRootKey ? slot | null } -> attrset

    Example: render { ciReleaseKey.current = { algorithm = "ed25519"; public = "Vh0b…"; }; }
      => { schemaVersion = 1; ciReleaseKey = { current = {…}; previous = null; rejectBefore = null; successor = null; retireAt = null; }; cacheKeys = [ ]; orgRootKey = null; }
  */
  render =
    trust:
    schema.check "nixfleet.trust: trust.json would not match contracts/trust-json.nix" contract {
      schemaVersion = 1;
      ciReleaseKey = slot (trust.ciReleaseKey or { });
      cacheKeys = trust.cacheKeys or [ ];
      orgRootKey = if (trust.orgRootKey or null) == null then null else slot trust.orgRootKey;
    };

  /**
    Problems a NixOS assertion should report: rules of the trust roots the
    types alone do not express. Each message names the option path.

    Type: problems :: trust -> [ string ]
  */
  problems =
    trust:
    let
      org = trust.orgRootKey or null;
    in
    (
      if org == null then
        [ ]
      else
        concatMap (
          k:
          if k.algorithm == "ed25519" then
            [ ]
          else
            [
              "nixfleet.trust.orgRootKey: key ${k.public} is ${k.algorithm}; the org root key signs bootstrap tokens and must be ed25519. Fix: use an ed25519 key (nixfleet keygen)."
            ]
        ) (slotKeys org)
    );

  /**
    Whether the CI release key slot can verify anything (a `current` key).

    Type: hasReleaseKey :: trust -> bool
  */
  hasReleaseKey = trust: ((trust.ciReleaseKey or { }).current or null) != null;
}
