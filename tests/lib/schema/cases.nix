# Unit tests of lib/schema (the contract interpreter), builtins only.
# Run: bash tests/lib/schema/run.sh  (evaluates to { <case> = { ok; detail; }; })
let
  schema = import ../../../lib/schema;
  inherit (schema.lib) mkOption mkEnableOption types;

  sel =
    types.submodule {
      options = {
        tags = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        not = mkOption {
          type = types.nullOr sel;
          default = null;
        };
      };
    }
    // {
      schemaName = "Sel";
    };

  host = types.submodule (
    { name, ... }:
    {
      options = {
        channel = mkOption {
          type = types.strMatching "[a-z]+";
          description = "Channel of ${name}.";
        };
        n = mkOption {
          type = types.ints.between 1 5;
          default = 3;
        };
        sel = mkOption {
          type = sel;
          default = { };
        };
        enable = mkEnableOption "the thing";
      };
    }
  );

  fleet = types.submodule {
    options = {
      hosts = mkOption {
        type = types.attrsOf host;
        default = { };
      };
      meta.v = mkOption { type = types.enum [ 1 ]; };
      probe = mkOption {
        type = types.nullOr (
          types.oneOf [
            (types.submodule {
              options.kind = mkOption { type = types.enum [ "http" ]; };
              options.url = mkOption { type = types.str; };
            })
            (types.submodule {
              options.kind = mkOption { type = types.enum [ "tcp" ]; };
              options.port = mkOption { type = types.port; };
            })
          ]
        );
        default = null;
      };
    };
  };

  open = types.submodule {
    freeformType = types.attrsOf types.anything;
    options.a = mkOption { type = types.int; };
  };

  errs = schema.validate fleet;
  eq = a: b: {
    ok = a == b;
    detail = builtins.toJSON { got = a; expected = b; };
  };
  tryThrow =
    e:
    let
      r = builtins.tryEval (builtins.deepSeq e e);
    in
    !r.success;
in
{
  validDocumentHasNoErrors = eq (errs {
    hosts.a.channel = "x";
    meta.v = 1;
  }) [ ];

  allErrorsAtOnceWithPaths =
    eq
      (errs {
        hosts.web-01 = {
          channel = null;
          n = 9;
          sel.not.tags = [ 1 ];
          bogus = true;
        };
        meta = { };
      })
      [
        "hosts.web-01.channel: expected string matching the pattern [a-z]+, got null"
        "hosts.web-01.n: expected integer between 1 and 5 (both inclusive), got integer 9"
        "hosts.web-01.sel.not.tags[0]: expected string, got integer 1"
        "hosts.web-01.bogus: unknown option; known options here: channel, enable, n, sel"
        "meta.v: required option is missing"
      ];

  patternMismatchNamesPattern = eq (errs {
    hosts.a.channel = "Stable";
    meta.v = 1;
  }) [ ''hosts.a.channel: "Stable" does not match the pattern [a-z]+'' ];

  discriminatedUnionReportsTheNamedBranch = eq (errs {
    meta.v = 1;
    probe = {
      kind = "tcp";
      port = 70000;
    };
  }) [ "probe.port: expected integer between 0 and 65535 (both inclusive), got integer 70000" ];

  unknownDiscriminatorListsKinds = eq (errs {
    meta.v = 1;
    probe.kind = "icmp";
  }) [ ''probe.kind: expected one of "http", "tcp", got string "icmp"'' ];

  defaultsFilledRecursively =
    eq
      (schema.applyDefaults fleet {
        hosts.a.channel = "x";
        meta.v = 1;
      })
      {
        hosts.a = {
          channel = "x";
          n = 3;
          enable = false;
          sel = {
            tags = [ ];
            not = null;
          };
        };
        meta.v = 1;
        probe = null;
      };

  freeformKeepsUnknownKeys = eq (schema.validate open {
    a = 1;
    extra.nested = [ 1 ];
  }) [ ];

  checkThrowsListingEveryError = {
    ok = tryThrow (schema.check "fleet" fleet { hosts.a = { }; });
    detail = "schema.check must throw on invalid input";
  };

  recursiveTypeExportsRef =
    let
      s = schema.toJSONSchema {
        id = "t";
        title = "T";
        type = fleet;
      };
    in
    eq [
      s."$defs".Sel.properties.not.anyOf
      s.properties.hosts.additionalProperties.required
      s.required
    ] [
      [
        { type = "null"; }
        { "$ref" = "#/$defs/Sel"; }
      ]
      [ "channel" ]
      [ "meta" ]
    ];

  exportCarriesDescriptionAndDefault =
    let
      s = schema.toJSONSchema {
        id = "t";
        title = "T";
        type = fleet;
      };
      n = s.properties.hosts.additionalProperties.properties.n;
    in
    eq [ n.default n.minimum n.maximum ] [ 3 1 5 ];
}
