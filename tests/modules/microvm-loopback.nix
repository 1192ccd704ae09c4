# The microVM runner's plan for one scenario, as microvm-loopback.test.ts
# plays it without VMs: the daemons' argv as the service modules render
# them, trust.json as the trust module renders it, the cp node's helper
# programs, the fixture PKI script and the timeline's actions. Builtins only.
#
#   nix-instantiate --eval --strict --json tests/modules/microvm-loopback.nix --argstr scenario tests/harness/scenarios/smoke.nix
{ scenario }:
let
  schema = import ../../lib/schema;
  render = import ../../lib/render;
  samples = import ../lib/render/samples.nix;
  h = import ../../nix/harness/plan.nix;
  p = h.plan (import (/. + scenario));
  trust =
    (schema.check "nixfleet.trust" (schema.loadContract ../../contracts/trust.nix) {
      nixfleet.trust = h.trust;
    }).nixfleet.trust;
in
{
  inherit (p) name hosts actions enrolling;
  hostHelpers = h.hostHelpers;
  cp = render.controlPlane.args (schema.check "cp" samples.cpOptions p.cp);
  agents = builtins.mapAttrs (_: a: render.agent.args (schema.check "agent" samples.agentOptions a)) p.agents;
  trustJson = render.trustJson.render trust;
  helpers = h.helpers;
  pki = h.pkiScript p.hosts;
}
