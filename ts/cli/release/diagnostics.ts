// mkFleet's warnings as the release sees them (lib/mk-fleet/diagnostics.nix):
// each has a stable id; a safety-relevant one nobody accepted in fleet.nix
// refuses the release before anything is built, written or signed.
import { ReleaseError } from './errors.ts';

/** One warning of a fleet, classified by mkFleet. */
export interface FleetDiagnostic {
  readonly id: string;
  readonly severity: 'safety' | 'advisory';
  /** Named in the fleet's `acceptWarnings`. */
  readonly accepted: boolean;
  readonly message: string;
}

/** The line printed for a diagnostic (before any build). */
export function diagnosticLine(d: FleetDiagnostic): string {
  if (d.accepted) return `accepted warning [${d.id}]: ${d.message}`;
  if (d.severity === 'safety') return `REFUSED [${d.id}]: ${d.message}`;
  return `warning [${d.id}]: ${d.message}`;
}

/** Safety-relevant diagnostics that nobody accepted. */
export function unaccepted(ds: readonly FleetDiagnostic[]): FleetDiagnostic[] {
  return ds.filter((d) => d.severity === 'safety' && !d.accepted);
}

/**
 * Prints every diagnostic, then refuses when one is safety-relevant and not
 * accepted: {@link ReleaseError} RELEASE_ERR_UNACCEPTED_WARNING naming each id.
 */
export function checkDiagnostics(ds: readonly FleetDiagnostic[], log: (l: string) => void): void {
  for (const d of ds) log(diagnosticLine(d));
  const refused = unaccepted(ds);
  if (refused.length === 0) return;
  throw new ReleaseError(
    'RELEASE_ERR_UNACCEPTED_WARNING',
    `${refused.length} safety-relevant warning(s) refuse this fleet: ${refused.map((d) => d.id).join(', ')}. ` +
      `Fix each item in fleet.nix; or, if it is intended, accept it by id with the reason, e.g. ` +
      `acceptWarnings."${refused[0]!.id}" = "why this is intended"; (docs/fleet-authors.md, Warnings).`,
    { context: { ids: refused.map((d) => d.id) } },
  );
}
