# Validates every document of the conformance corpus with the Nix validator
# (lib/schema). Result: { <contract> = { valid = [ [errors] … ]; invalid = [ … ]; }; }
# in corpus order. Run by tests/contracts/conformance.test.ts.
{
  corpusDir ? ./corpus,
  contractsDir ? ../../contracts,
}:
let
  schema = import ../../lib/schema;
  inherit (builtins) attrNames filter listToAttrs match readDir readFile fromJSON;
  files = filter (f: match ".*\\.json" f != null) (attrNames (readDir corpusDir));
  one =
    f:
    let
      c = fromJSON (readFile (corpusDir + "/${f}"));
      type = schema.loadContract (contractsDir + "/${c.contract}.nix");
    in
    {
      name = c.contract;
      value = {
        valid = map (d: schema.validate type d.doc) c.valid;
        invalid = map (d: schema.validate type d.doc) c.invalid;
      };
    };
in
listToAttrs (map one files)
