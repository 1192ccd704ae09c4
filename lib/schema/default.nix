# The contract interpreter: reads declarations written against a subset of the
# NixOS module API (mkOption, mkEnableOption, types.*) and
#   - validates values, reporting every error at once with its option path;
#   - fills declared defaults;
#   - exports JSON Schema (draft 2020-12) with descriptions and defaults.
#
# The same contract file is an ordinary NixOS module under nixpkgs' `lib`.
# Builtins only — evaluable with `nix-instantiate` on a machine without nixpkgs.
#
# Usage:
#   let schema = import ./lib/schema; in
#   schema.validate (schema.loadContract ./contracts/fleet-resolved.nix) value
#
# Layout: module.nix (the `lib` contracts see, module evaluation),
# validate.nix, defaults.nix, json-schema.nix; this file is the API.
let
  inherit (builtins) concatStringsSep isFunction length;
  module = import ./module.nix { };
  validation = import ./validate.nix { inherit (module) evalModule isOption; };
  defaults = import ./defaults.nix {
    inherit (module) evalModule isOption;
    inherit (validation) checkType;
  };
  jsonSchema = import ./json-schema.nix { inherit (module) evalModule isOption; };
  inherit (module) lib types mkOption mkEnableOption isType;
  inherit (validation) formatPath checkType;
  inherit (defaults) fillType;
  inherit (jsonSchema) schemaOf;

  /**
    Loads a contract file as a type. A contract file is a module (attrset or
    function of `{ lib, … }`), or a function returning a type (for unions such
    as the agent wire events).

    Type: loadContract :: path -> type
  */
  loadContract =
    file:
    let
      raw = import file;
      probe = if isFunction raw then raw { inherit lib; name = "<root>"; config = { }; options = { }; pkgs = null; } else raw;
    in
    if isType probe then probe else types.submodule raw;

  /**
    Every error of `value` against `type`, as "path: message" strings
    (empty list when valid). `root` prefixes the paths.

    Type: validate :: type -> any -> [ string ]
  */
  validateAt = root: type: value: checkType root "<root>" type value;
  validate = validateAt [ ];

  /**
    `value` with declared defaults filled in, recursively.

    Type: applyDefaults :: type -> any -> any
  */
  applyDefaults = type: value: fillType "<root>" type value;

  /**
    Validates and fills defaults, or throws with every error, each on its own
    line, under a heading that names the subject.

    Type: check :: string -> type -> any -> any
  */
  check =
    subject: type: value:
    let
      errors = validate type value;
    in
    if errors == [ ] then
      applyDefaults type value
    else
      throw "${subject}: ${toString (length errors)} error(s):\n  ${concatStringsSep "\n  " errors}";

  /**
    JSON Schema (draft 2020-12) for a type, with `$defs` for named types.

    Type: toJSONSchema :: { id, title, description?, type } -> attrset
  */
  toJSONSchema =
    {
      id,
      title,
      description ? null,
      type,
    }:
    let
      r = schemaOf [ ] (type // { schemaName = null; });
    in
    {
      "$schema" = "https://json-schema.org/draft/2020-12/schema";
      "$id" = id;
      inherit title;
    }
    // (if description != null then { inherit description; } else { })
    // r.schema
    // (if r.defs == { } then { } else { "$defs" = r.defs; });
in
{
  inherit
    lib
    types
    mkOption
    mkEnableOption
    loadContract
    validate
    validateAt
    applyDefaults
    check
    toJSONSchema
    formatPath
    ;
}

