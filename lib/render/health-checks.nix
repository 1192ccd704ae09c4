# Renders /etc/nixfleet/agent/health-checks.json (contracts/health-checks.nix,
# RFC-0007 §5) for one host: the effective probe set mkFleet resolved for it
# (fleet, tag, channel and host scopes of fleet.nix) plus the probes declared
# on the host itself with services.nixfleet-agent.healthChecks. Owns the
# merge of those two sources, defaults and validation. Never runs probes.
let
  inherit (builtins) attrNames filter;
  schema = import ../schema;
  t = import ../../contracts/_types.nix { inherit (schema) lib; };
  inherit (schema.lib) types;
  contract = schema.loadContract ../../contracts/health-checks.nix;
  declarations = types.attrsOf (t.probe { resolved = false; });
  optionPath = [
    "services"
    "nixfleet-agent"
    "healthChecks"
  ];
in
{
  /**
    The rendered file and what the module should report about it.

    Inputs:
    - `hostName`: the host (hostSpec.hostName);
    - `fleet`: mkFleet's `healthChecks.<host>` (health-checks.json v1), or
      null when the host is not built through mkFleet;
    - `local`: services.nixfleet-agent.healthChecks (probe declarations, the
      fleet.nix shape, defaults applied here).

    A host-local probe with the name of a fleet-resolved one replaces it (the
    host is the most specific scope) and is reported as a warning, never
    silently (RFC-0007 §4). `errors` lists contract violations, each prefixed
    with its option path; the module turns them into one assertion.

    Type: render :: { hostName :: string, fleet ? attrset | null, local ? attrset } -> { value :: attrset, warnings :: [ string ], errors :: [ string ] }

    Example: (render { hostName = "web-01"; local.nginx = { kind = "http"; url = "http://localhost/"; }; }).value.probes.nginx.expectStatus
      => 200
  */
  render =
    {
      hostName,
      fleet ? null,
      local ? { },
    }:
    let
      localErrors = schema.validateAt optionPath declarations local;
      localResolved = if localErrors == [ ] then schema.applyDefaults declarations local else { };
      fleetProbes = if fleet == null then { } else fleet.probes or { };
      hostErrors =
        if fleet != null && (fleet.hostname or hostName) != hostName then
          [
            "services.nixfleet-agent.fleetHealthChecks: resolved by mkFleet for host \"${fleet.hostname}\", but this host is \"${hostName}\". Fix: pass the host's own `healthChecks.<host>` (mkHost does this when mkFleet calls it)."
          ]
        else
          [ ];
      shadowed = filter (n: fleetProbes ? ${n}) (attrNames local);
      value = {
        schemaVersion = 1;
        hostname = hostName;
        probes = fleetProbes // localResolved;
      };
      valueErrors =
        if localErrors == [ ] then
          map (e: "health-checks.json: ${e}") (schema.validate contract value)
        else
          [ ];
    in
    {
      inherit value;
      warnings = map (
        n:
        "services.nixfleet-agent.healthChecks.${n} replaces the probe \"${n}\" that mkFleet resolved for ${hostName} from fleet.nix. Rename the host-local probe (or remove it, or the fleet.nix declaration) to silence this warning."
      ) shadowed;
      errors = hostErrors ++ localErrors ++ valueErrors;
    };

  /**
    Where the agent module writes the file (the agent's --health-checks-config).

    Type: path :: string
  */
  path = "/etc/nixfleet/agent/health-checks.json";

  # Also exported for tests that build fixtures in the declaration shape.
  inherit declarations;
}
