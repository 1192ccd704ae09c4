// The release side of the static compliance gate (lib/compliance/gate.nix,
// docs/compliance.md): mkFleet evaluates every enabled control over each
// host's configuration; here an enforce-mode failure refuses the release
// before anything is built, and observe-mode failures are printed (they are
// recorded in the signed fleet.resolved's complianceFindings).
import type { FleetResolved } from '../../contracts/index.ts';
import { ReleaseError } from './errors.ts';

/** One enforce-mode control that failed on one host (mkFleet's `compliance.failures`). */
export interface ComplianceFailure {
  readonly host: string;
  readonly control: string;
  readonly title: string;
  /** Enabled frameworks the control belongs to, with its articles. */
  readonly frameworks: Readonly<Record<string, readonly string[]>>;
  /** Option values the verdict rests on, by option path. */
  readonly evidence: Readonly<Record<string, unknown>> | null;
}

const showEvidence = (ev: ComplianceFailure['evidence']): string =>
  ev === null
    ? 'none'
    : Object.entries(ev)
        .map(([k, v]) => `${k} = ${v === null ? 'unset' : JSON.stringify(v)}`)
        .join(', ');

const showFrameworks = (fs: ComplianceFailure['frameworks']): string =>
  Object.entries(fs)
    .map(([f, arts]) => `${f} ${arts.join(' ')}`)
    .join(', ');

/** The line printed for one failure. */
export function failureLine(f: ComplianceFailure): string {
  return `REFUSED [compliance] host ${f.host}: control ${f.control} [${showFrameworks(f.frameworks)}]: ${f.title} Evidence: ${showEvidence(f.evidence)}.`;
}

/**
 * Prints every failure, then refuses when there is one:
 * {@link ReleaseError} RELEASE_ERR_COMPLIANCE with `{ failures }` as context.
 */
export function checkComplianceFailures(
  failures: readonly ComplianceFailure[],
  log: (l: string) => void,
): void {
  if (failures.length === 0) return;
  for (const f of failures) log(failureLine(f));
  const hosts = [...new Set(failures.map((f) => f.host))].sort();
  throw new ReleaseError(
    'RELEASE_ERR_COMPLIANCE',
    `the static compliance gate refuses ${hosts.length} host(s) (${hosts.join(', ')}): ` +
      `${failures.map((f) => `${f.host}/${f.control}`).join(', ')} fail in enforce mode. ` +
      `Fix: change each host's configuration so the control passes (docs/compliance.md lists the option values each control reads); ` +
      `or set compliance.frameworks.<framework>.controlOverrides.<control> = { mode = "observe"; reason = "…"; } ` +
      `at fleet, tag or host scope, which releases it and records the failure with its reason in fleet.resolved.`,
    {
      context: {
        failures: failures.map((f) => ({
          host: f.host,
          control: f.control,
          frameworks: f.frameworks,
          evidence: f.evidence,
        })),
      },
    },
  );
}

/**
 * Refuses a fleet whose channels enable compliance frameworks when its
 * library did not evaluate the static gate (a mkFleet without `compliance`):
 * releasing it would skip every static control unseen.
 */
export function requireGate(resolved: FleetResolved, evaluated: boolean, where: string): void {
  if (evaluated) return;
  const enabling = Object.entries(resolved.channels)
    .filter(([, ch]) => ch.compliance.frameworks.length > 0)
    .map(([name]) => name)
    .sort();
  if (enabling.length === 0) return;
  throw new ReleaseError(
    'RELEASE_ERR_COMPLIANCE',
    `${where}: channel(s) ${enabling.join(', ')} enable compliance frameworks, but the fleet was evaluated by a library without the static compliance gate (no \`compliance\` projection), so no control was checked. Fix: build the fleet with this release's nixfleet library (lib.mkFleet).`,
    { context: { channels: enabling } },
  );
}

/** One line per observe-mode failure that this release records and ships. */
export function observedLines(resolved: FleetResolved): string[] {
  const out: string[] = [];
  for (const [host, rec] of Object.entries(resolved.complianceFindings ?? {}).sort()) {
    for (const [control, f] of Object.entries(rec.failed).sort()) {
      out.push(
        `compliance: host ${host}: control ${control} fails in ${f.mode} mode (recorded, not refused)${f.reason ? `: ${f.reason}` : ''}. Evidence: ${showEvidence(f.evidence)}.`,
      );
    }
  }
  return out;
}
