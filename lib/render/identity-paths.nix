# Identity-path arithmetic of the secrets impl (impls/secrets): which files
# a backend should try, and which must survive reboots. Builtins only.
let
  inherit (builtins) filter foldl' elem;
  dedupe = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
in
rec {
  /**
    Identity paths in order: host key, user key, extra; nulls and
    duplicates removed.

    Type: resolve :: { hostKey :: string, userKey :: string | null, extra :: [ string ] } -> [ string ]

    Example: resolve { hostKey = "/etc/ssh/ssh_host_ed25519_key"; userKey = null; extra = [ ]; }
      => [ "/etc/ssh/ssh_host_ed25519_key" ]
  */
  resolve = p: dedupe (filter (x: x != null) ([ p.hostKey (p.userKey or null) ] ++ (p.extra or [ ])));

  /**
    Files to persist: every identity, plus the host key's public half.

    Type: persistedFiles :: identityPaths -> [ string ]
  */
  persistedFiles = p: dedupe (resolve p ++ [ "${p.hostKey}.pub" ]);
}
