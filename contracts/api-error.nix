# Contract: the JSON body of every 4xx/5xx answer of the control plane.
# Callers branch on `code`, never on `message`.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options.error = opt (types.submodule (open // {
    options = {
      code = opt (types.strMatching "[A-Z][A-Z0-9_]*") "Stable error code." "CP_ERR_CN_MISMATCH" { };
      message = opt types.str "Human-readable message." "certificate CN web-02 does not match hostname web-01" { };
      status = opt (types.ints.between 400 599) "HTTP status." 403 { };
      issues = opt (types.listOf (types.submodule (open // {
        options = {
          path = opt types.str "Option path of a schema violation." "seq" { };
          message = opt types.str "What is wrong there." "must be >= 1" { };
        };
      }))) "Schema violations of the request body, if any." [ ] { default = [ ]; };
    };
  })) "The error." { } { };
}
