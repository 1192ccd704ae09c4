// The probe half of `nixfleet release`: read what each built toplevel renders
// at etc/nixfleet/agent/health-checks.json, have the core check it against
// what fleet.nix declares for the host, and name every host that falls short
// in one typed refusal before anything is signed. A host built from
// `configuration = …` gets no file unless its configuration renders one
// (the agent module does, given the fleet's set); the release never injects
// a file into a closure it did not build that way, it refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues, validateContract, type HealthChecks } from '../../contracts/index.ts';
import { closureProbeGap, describeProbeSetDiff } from '../../core/index.ts';
import { ReleaseError } from './errors.ts';
import type { SignedProbes } from './project.ts';

/** Where a NixOS toplevel carries the agent's probe file (docs/agent.md "Probes"). */
export const CLOSURE_PROBE_FILE = 'etc/nixfleet/agent/health-checks.json';

/** What one host's closure renders, or why it cannot be read as a probe set. */
export type RenderedProbes =
  | { readonly ok: true; readonly probes: SignedProbes | null }
  | { readonly ok: false; readonly problem: string };

/** Reads `<toplevel>/etc/nixfleet/agent/health-checks.json`; `probes: null` when absent. */
export function readRenderedProbes(toplevel: string, host: string): RenderedProbes {
  const path = join(toplevel, CLOSURE_PROBE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, probes: null };
    return { ok: false, problem: `cannot read ${CLOSURE_PROBE_FILE}: ${(e as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: `${CLOSURE_PROBE_FILE} is not JSON` };
  }
  const v = validateContract('health-checks', value);
  if (!v.ok) {
    return {
      ok: false,
      problem: `${CLOSURE_PROBE_FILE} is not a health-checks file: ${formatIssues(v.errors)}`,
    };
  }
  if (v.value.hostname !== host) {
    return {
      ok: false,
      problem: `${CLOSURE_PROBE_FILE} was rendered for ${v.value.hostname}, not ${host}`,
    };
  }
  return { ok: true, probes: v.value.probes };
}

/**
 * The probe set to sign for `host`, or a one-line reason the host is refused:
 * every probe fleet.nix declares must be rendered, identical; a closure
 * without the file signs `{}` only when nothing is declared.
 */
export function probesToSign(
  host: string,
  declared: HealthChecks | undefined,
  rendered: RenderedProbes,
):
  | { readonly ok: true; readonly probes: SignedProbes }
  | { readonly ok: false; readonly line: string } {
  if (!rendered.ok) return { ok: false, line: `${host}: ${rendered.problem}` };
  const want = declared?.probes ?? {};
  const gap = closureProbeGap(want, rendered.probes);
  if (gap !== null) {
    const where = rendered.probes === null ? `no ${CLOSURE_PROBE_FILE}` : CLOSURE_PROBE_FILE;
    return {
      ok: false,
      line: `${host}: ${describeProbeSetDiff(gap, { withExtra: false })} (${where})`,
    };
  }
  return { ok: true, probes: rendered.probes ?? {} };
}

/** The typed refusal naming every host (one line each) whose closure falls short. */
export function probesNotRendered(lines: readonly string[]): ReleaseError {
  const hosts = lines.map((l) => l.slice(0, l.indexOf(':')));
  return new ReleaseError(
    'RELEASE_ERR_PROBES_NOT_RENDERED',
    `the built ${hosts.length === 1 ? 'closure of this host does' : 'closures of these hosts do'} not carry the probes fleet.nix declares for ${hosts.length === 1 ? 'it' : 'them'}, rendered identically at ${CLOSURE_PROBE_FILE}:\n${lines.map((l) => `  ${l}`).join('\n')}\nFix: build the host with mkHost (nixosArgs) or import the nixfleet agent module and set services.nixfleet-agent.fleetHealthChecks = fleet.healthChecks.<host> in its configuration; a host-local probe must not reuse a fleet probe's name with another declaration. Nothing was written or signed.`,
    { context: { hosts } },
  );
}
