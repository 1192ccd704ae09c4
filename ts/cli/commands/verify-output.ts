// How `nixfleet verify` reports: plain text for people (verdict on stdout,
// failures on stderr) or one JSON object on stdout with --json. The exit code
// is decided here, from the kind of outcome, and nowhere else.
import type { FleetResolved } from '../../contracts/index.ts';
import { showIrrevocable } from '../../core/index.ts';
import type { VerifyError } from '../../trust/index.ts';
import type { CliIo } from '../io.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliError } from './verify-inputs.ts';

/** What a successful verification established. */
export interface Success {
  readonly subject: string;
  readonly facts: Readonly<Record<string, string>>;
}

/** The three ways a verify subcommand ends. */
export type Outcome =
  | { readonly kind: 'verified'; readonly success: Success }
  | { readonly kind: 'rejected'; readonly error: VerifyError }
  | { readonly kind: 'error'; readonly error: CliError };

/**
 * Prints an outcome and returns its exit code (0 verified, 1 rejected, 2 error).
 *
 * @example
 *   ctx.setExit(report(io, { kind: 'rejected', error }, { json: false }));
 */
export function report(io: CliIo, outcome: Outcome, options: { readonly json: boolean }): ExitCode {
  const { json } = options;
  switch (outcome.kind) {
    case 'verified': {
      const { subject, facts } = outcome.success;
      if (json) io.stdout(JSON.stringify({ ok: true, subject, ...facts }) + '\n');
      else {
        const lines = Object.entries(facts).map(([k, v]) => `  ${k}: ${v}`);
        io.stdout(`verified: ${subject}\n${lines.join('\n')}\n`);
      }
      return EXIT.ok;
    }
    case 'rejected': {
      const e = outcome.error;
      if (json) io.stdout(JSON.stringify({ ok: false, error: e }) + '\n');
      else io.stderr(`verification failed: ${e.code} (${e.kind}): ${e.message}`);
      return EXIT.rejected;
    }
    case 'error': {
      const e = outcome.error;
      if (json) io.stdout(JSON.stringify({ ok: false, cliError: e }) + '\n');
      else io.stderr(`nixfleet verify: ${e.code}: ${e.message}`);
      return EXIT.error;
    }
  }
}

/**
 * The facts of a verified CI-signed artifact.
 *
 * @example
 *   signedFacts(r.value) // { signedAt, algorithm, signer, signerFingerprint, sha256 }
 */
export function signedFacts(v: {
  readonly sha256: string;
  readonly signedAt: string;
  readonly algorithm: string;
  readonly signer: { readonly role: string; readonly fingerprint: string };
}): Record<string, string> {
  return {
    signedAt: v.signedAt,
    algorithm: v.algorithm,
    signer: `ciReleaseKey.${v.signer.role}`,
    signerFingerprint: v.signer.fingerprint,
    sha256: v.sha256,
  };
}

/**
 * The accepted changes of irrevocable values a verified fleet.resolved
 * records (docs/auditor.md): who accepted what, when, in which commit.
 *
 * @example
 *   acceptanceFacts(fleet) // { irrevocableAcceptances: '1', 'acceptance[0]': 'accepted irrevocable change: web-01 serverName …' }
 */
export function acceptanceFacts(fleet: FleetResolved): Record<string, string> {
  const list = fleet.irrevocableAcceptances ?? [];
  const out: Record<string, string> = { irrevocableAcceptances: String(list.length) };
  const show = (sha: string | null, value: string | number | boolean | null): string =>
    sha === null ? '(removed)' : showIrrevocable({ sha256: sha, value, sensitive: value === null });
  list.forEach((a, i) => {
    out[`acceptance[${i}]`] =
      `accepted irrevocable change: ${a.host} ${a.name} ${show(a.oldSha256, a.oldValue)} -> ${show(a.newSha256, a.newValue)} by ${a.acceptedBy} in ${a.ciCommit} at ${a.acceptedAt}`;
  });
  return out;
}
