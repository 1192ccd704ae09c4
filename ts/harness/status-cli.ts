// `nixfleet status --json` as an operator runs it, for harness steps that
// check what the CLI shows (not the CP's API directly).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './publish.ts';

const run = promisify(execFile);

/** The operator identity the CLI presents. */
export interface OperatorIdentity {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** The rows of the status document the harness reads. */
export interface StatusHostRow {
  readonly hostname: string;
  readonly state?: string | null;
  readonly currentClosure?: string | null;
}

/**
 * Runs `nixfleet status --json` against `url`. Exit 1 (a host offline, not
 * converged or failed) still prints the document; any other exit, or output
 * that is not a status document, is returned as the error.
 */
export async function statusHosts(
  url: string,
  who: OperatorIdentity,
): Promise<{ readonly hosts: readonly StatusHostRow[] } | { readonly error: string }> {
  let stdout = '';
  try {
    stdout = (
      await run(
        process.execPath,
        [
          join(REPO, 'bin/nixfleet.mjs'),
          ...['status', '--json', '--cp-url', url, '--ca-cert', who.caCert],
          ...['--client-cert', who.clientCert, '--client-key', who.clientKey],
        ],
        { cwd: REPO, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      )
    ).stdout;
  } catch (e) {
    const x = e as { stdout?: string; code?: number; stderr?: string };
    if (x.code !== 1) return { error: `exit ${x.code}: ${(x.stderr ?? '').trim().slice(0, 300)}` };
    stdout = x.stdout ?? '';
  }
  try {
    const doc = JSON.parse(stdout) as { hosts?: StatusHostRow[] };
    return { hosts: doc.hosts ?? [] };
  } catch {
    return { error: `not a status document: ${stdout.slice(0, 200)}` };
  }
}
