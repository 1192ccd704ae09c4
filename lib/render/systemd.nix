# systemd helpers shared by the service modules: quoting argv into an
# ExecStart line and the hardening baseline. Pure data, builtins only, so the
# exact unit settings are visible (and tested) without nixpkgs.
let
  inherit (builtins)
    concatStringsSep
    isInt
    isString
    replaceStrings
    toJSON
    ;
in
rec {
  /**
    One ExecStart argument: JSON-quoted (systemd understands the C escapes
    toJSON emits), `%` and `$` doubled so systemd expands neither specifiers
    nor environment variables. Same rule as nixpkgs' utils.escapeSystemdExecArg.

    Type: escapeExecArg :: (string | int) -> string

    Example: escapeExecArg "100%" => "\"100%%\""
  */
  escapeExecArg =
    arg:
    let
      s =
        if isString arg then
          arg
        else if isInt arg then
          toString arg
        else
          throw "systemd.escapeExecArg: expected a string or an integer, got ${builtins.typeOf arg}";
    in
    replaceStrings [ "%" "$" ] [ "%%" "$$" ] (toJSON s);

  /**
    An ExecStart line: the program followed by quoted arguments.

    Type: execStart :: string -> [ string ] -> string

    Example: execStart "/nix/store/…/bin/nixfleet-agent" [ "--machine-id" "web-01" ]
      => "/nix/store/…/bin/nixfleet-agent \"--machine-id\" \"web-01\""
  */
  execStart = program: args: concatStringsSep " " ([ program ] ++ map escapeExecArg args);

  /**
    Hardening every NixFleet daemon gets. Each setting is here because it
    costs the daemons nothing; see docs/nixos-modules.md "Hardening".

    Type: baseHardening :: attrset
  */
  baseHardening = {
    # Neither daemon ever needs setuid helpers; systemd-run talks D-Bus.
    NoNewPrivileges = true;
    # Keys, tokens and state never go to /tmp; a private one hides others'.
    PrivateTmp = true;
    # No daemon reads user homes.
    ProtectHome = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectClock = true;
    ProtectHostname = true;
    RestrictSUIDSGID = true;
    RestrictRealtime = true;
    LockPersonality = true;
    # Node.js needs a JIT: W^X memory would kill it at start, so
    # MemoryDenyWriteExecute stays off on purpose.
    MemoryDenyWriteExecute = false;
    # Created files (state, logs, issued certificates) are private.
    UMask = "0077";
  };
}
