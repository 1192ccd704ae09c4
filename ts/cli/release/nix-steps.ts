// The Nix half of the release: evaluate the fleet (building is build.ts).
// Everything goes through ts/nix (argv, never a shell string); paths travel
// as --argstr values.
import { fileURLToPath } from 'node:url';
import { validateContract, formatIssues } from '../../contracts/index.ts';
import { nixEvalJson, runNix } from '../../nix/index.ts';
import { ReleaseError } from './errors.ts';
import type { FleetProjection } from './project.ts';

const EVAL_NIX = fileURLToPath(new URL('../../../lib/release/eval.nix', import.meta.url));
const PROJECT_NIX = fileURLToPath(new URL('../../../lib/release/project.nix', import.meta.url));

/** Where the fleet comes from. */
export type FleetSource =
  | { readonly kind: 'fleet-file'; readonly file: string }
  | { readonly kind: 'flake'; readonly dir: string };

/**
 * Evaluates the fleet into what the release projects (or only its
 * diagnostics, when a safety-relevant warning refuses it); eval errors carry
 * Nix's message and the fleet path.
 */
export async function evaluateFleet(
  source: FleetSource,
  timeoutMs = 600_000,
): Promise<FleetProjection> {
  const r =
    source.kind === 'fleet-file'
      ? await nixEvalJson<FleetProjection>(EVAL_NIX, {
          attr: 'summary',
          extraArgs: ['--argstr', 'fleetFile', source.file],
          timeoutMs,
        })
      : await runFlakeEval(source.dir, timeoutMs);
  const where = source.kind === 'fleet-file' ? source.file : `${source.dir}#fleet`;
  if (!r.ok) {
    throw new ReleaseError(
      'RELEASE_ERR_EVAL',
      `evaluating ${where} failed:\n${r.stderr.trim() || r.message}`,
      { context: { where } },
    );
  }
  if (r.value.blocked) return r.value;
  if (r.value.healthChecks === null || typeof r.value.healthChecks !== 'object') {
    throw new ReleaseError(
      'RELEASE_ERR_INVALID_FLEET',
      `${where}: the fleet has no \`healthChecks\` projection, so the probes each host must run cannot be checked. Fix: make the fleet file evaluate to mkFleet's (or mergeFleets') result.`,
    );
  }
  const check = validateContract('fleet-resolved', r.value.resolved);
  if (!check.ok) {
    throw new ReleaseError(
      'RELEASE_ERR_INVALID_FLEET',
      `${where}: resolved is not a valid fleet.resolved:\n${formatIssues(check.errors)}`,
    );
  }
  return r.value;
}

async function runFlakeEval(
  dir: string,
  timeoutMs: number,
): ReturnType<typeof nixEvalJson<FleetProjection>> {
  // --impure: the projection is this project's lib/release/project.nix, by path.
  const apply = `fleet: import ${PROJECT_NIX} fleet`;
  const r = await runNix('nix', ['eval', '--json', '--impure', `${dir}#fleet`, '--apply', apply], {
    timeoutMs,
  });
  if (!r.ok) return r;
  return { ok: true, value: JSON.parse(r.value) as FleetProjection, stderr: r.stderr };
}
