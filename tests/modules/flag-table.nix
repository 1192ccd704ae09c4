# The NixOS modules' options against the programs' flag tables, for
# tests/binaries/flag-tables.test.ts: every option of each module (its leaf
# paths, evaluated from the real declarations through lib/schema), and the
# argv lib/render produces with that one option set to its declared example
# on top of a minimal configuration (null when the example does not apply),
# and the argv of that minimal configuration (the module's defaults).
#
#   nix-instantiate --eval --strict --json tests/modules/flag-table.nix
let
  schema = import ../../lib/schema;
  render = import ../../lib/render;
  inherit (builtins)
    attrNames
    concatMap
    head
    isAttrs
    mapAttrs
    tail
    tryEval
    deepSeq
    ;

  isOption = x: isAttrs x && (x._type or null) == "option";
  leaves =
    prefix: opts:
    concatMap (
      n:
      let
        v = opts.${n};
      in
      if isOption v then
        [ (prefix ++ [ n ]) ]
      else if isAttrs v then
        leaves (prefix ++ [ n ]) v
      else
        [ ]
    ) (attrNames opts);
  at = path: set: if path == [ ] then set else at (tail path) set.${head path};
  setAt = path: v: if path == [ ] then v else { ${head path} = setAt (tail path) v; };
  update =
    a: b:
    a
    // mapAttrs (n: v: if isAttrs v && isAttrs (a.${n} or null) then update a.${n} v else v) b;

  module =
    {
      file,
      args ? { },
      base,
      argv,
    }:
    let
      options = import file ({ lib = schema.lib; } // args);
      type = schema.lib.types.submodule { inherit options; };
      paths = leaves [ ] options;
      withExample =
        path:
        let
          o = at path options;
          r = tryEval (
            let
              a = argv (schema.check "flag-table" type (update base (setAt path o.example)));
            in
            deepSeq a a
          );
        in
        if o ? example && r.success then r.value else null;
      # What the module renders when only the base is set: its defaults.
      defaultArgv = argv (schema.check "flag-table" type base);
    in
    map (path: {
      inherit path defaultArgv;
      example = (at path options).example or null;
      argv = withExample path;
    }) paths;
in
{
  agent = module {
    file = ../../modules/scopes/nixfleet/_agent-options.nix;
    args.computed.machineId.default = "web-01";
    base = {
      enable = true;
      controlPlane.urls = [ "https://cp.example.com:8443" ];
    };
    argv = render.agent.args;
  };
  cp = module {
    file = ../../modules/scopes/nixfleet/_control-plane-options.nix;
    # Every sink configured, so each notification option renders its flag.
    base = {
      enable = true;
      notifications = {
        nats.url = "nats://127.0.0.1:4222";
        matrix = {
          homeserverUrl = "https://matrix.example.org";
          roomId = "!ops:example.org";
          accessTokenFile = "/run/secrets/matrix-token";
        };
        webhook = {
          url = "https://hooks.example.org/nixfleet";
          secretFile = "/run/secrets/webhook";
        };
      };
    };
    argv = render.controlPlane.args;
  };
  compliance = module {
    file = ../../modules/scopes/nixfleet/_compliance-options.nix;
    base = {
      enable = true;
      frameworks = [ "anssi-bp028" ];
    };
    argv = render.compliance.args;
  };
}
