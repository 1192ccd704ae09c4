# Module evaluation for the contract interpreter: the `lib` handed to contract
# files (mkOption, mkEnableOption, literalExpression, types) and evaluating a
# module (attrset or function) for one value into its option tree and
# freeform element type. Builtins only.
deps:
let
  inherit (builtins)
    isAttrs
    isFunction
    ;

  types = import ./types.nix;

  /**
    Declares an option. Same contract as nixpkgs' `lib.mkOption`: an option
    without `default` is required.

    Type: mkOption :: { type?, default?, description?, example?, defaultText? } -> option
  */
  mkOption = attrs: { type = types.anything; } // attrs // { _type = "option"; };

  /**
    A boolean option defaulting to false.

    Type: mkEnableOption :: string -> option
  */
  mkEnableOption =
    name:
    mkOption {
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };

  literalExpression = text: {
    _type = "literalExpression";
    inherit text;
  };

  # The `lib` handed to contract files.
  lib = {
    inherit
      mkOption
      mkEnableOption
      literalExpression
      types
      ;
  };

  isOption = x: isAttrs x && (x._type or null) == "option";
  isType = x: isAttrs x && (x._type or null) == "option-type";

  # ---------------------------------------------------------------- modules

  # A module (attrset or function) evaluated for one value: its option tree and
  # freeform element type (null when the module is closed).
  evalModule =
    module: name: value:
    let
      m =
        if isFunction module then
          module {
            inherit lib name;
            config = if isAttrs value then value else { };
            options = { };
            pkgs = null;
          }
        else
          module;
      ff = m.freeformType or null;
    in
    {
      options = m.options or { };
      freeform =
        if ff == null then
          null
        else if ff.kind == "attrsOf" then
          ff.elemType
        else
          types.anything;
    };

in
{
  inherit
    types
    mkOption
    mkEnableOption
    literalExpression
    lib
    isOption
    isType
    evalModule
    ;
}
