# Small checks shared by the agent and control-plane renderers. Builtins only.
let
  inherit (builtins) concatMap match substring stringLength;
in
rec {
  /**
    Assertions that secret-bearing path options point outside the Nix store
    (the store is world-readable; STYLE.md: secrets are file paths, never in
    the store). `opts` maps an option path to its value (null = unset).

    Type: secretsOutsideStore :: { <optionPath> = string | null; } -> [ { assertion :: bool; message :: string; } ]

    Example: secretsOutsideStore { "services.nixfleet-agent.tls.clientKey" = "/nix/store/…-key"; }
      => [ { assertion = false; message = "services.nixfleet-agent.tls.clientKey: …"; } ]
  */
  secretsOutsideStore =
    opts:
    concatMap (
      name:
      let
        v = opts.${name};
      in
      if v == null || substring 0 11 v != "/nix/store/" then
        [ ]
      else
        [
          {
            assertion = false;
            message = "${name}: ${v} is in the Nix store, which every local user can read. Fix: point it at a file outside the store (e.g. an agenix or sops-nix path under /run).";
          }
        ]
    ) (builtins.attrNames opts);

  /**
    The systemd StateDirectory= name for a state path under /var/lib, or null
    when the path lives elsewhere (the operator then owns its creation).

    Type: stateDirectoryName :: string -> string | null

    Example: stateDirectoryName "/var/lib/nixfleet-agent" => "nixfleet-agent"
  */
  stateDirectoryName =
    path:
    let
      m = match "/var/lib/([^/]+(/[^/]+)*)/?" path;
    in
    if m == null then null else builtins.head m;

  /**
    Directory part of an absolute path.

    Type: dirOf' :: string -> string

    Example: dirOf' "/var/lib/nixfleet-cp/state.db" => "/var/lib/nixfleet-cp"
  */
  dirOf' = path: toString (dirOf path);

  /**
    Whether `prefix` is `path` or one of its ancestors.

    Type: isUnder :: string -> string -> bool
  */
  isUnder =
    prefix: path:
    path == prefix
    || (
      stringLength path > stringLength prefix && substring 0 (stringLength prefix + 1) path == "${prefix}/"
    );
}
