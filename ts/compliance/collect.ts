// nixfleet-compliance-collect: the host-side compliance collector (book
// §1.6, RFC-0007 §3.6 capability layer). Runs the runtime probe of every
// control in the controls file the NixOS module renders
// (services.nixfleet-compliance), judges each with ts/core, signs the
// canonical probe-payload with the SSH host key and replaces the evidence
// file atomically as `{ payload, signature }`, the file the agent's
// evidence probes read. Owns: running the commands, reading the key, the
// write. Never: deciding pass or fail (ts/core/compliance/judge.ts).
import { execFile } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { validateContract, type ComplianceControl } from '../contracts/index.ts';
import {
  evidencePayload,
  judgeControl,
  toRfc3339,
  type ControlVerdict,
  type ProbeRun,
} from '../core/index.ts';
import { canonicalBytes, encodeBase64, parsePrivateKey, signBytes } from '../trust/index.ts';

/** A typed collector failure; the evidence file is left as it was. */
export class CollectorError extends Error {
  readonly code:
    | 'COMPLIANCE_ERR_ARGS'
    | 'COMPLIANCE_ERR_CONTROLS'
    | 'COMPLIANCE_ERR_HOST_KEY'
    | 'COMPLIANCE_ERR_WRITE';
  constructor(code: CollectorError['code'], message: string) {
    super(message);
    this.name = 'CollectorError';
    this.code = code;
  }
}

export interface CollectOptions {
  readonly controlsFile: string;
  readonly hostKeyFile: string;
  readonly hostname: string;
  readonly out: string;
  readonly timeoutMs: number;
  readonly now: () => number;
  /** Basename of /run/current-system's target, or null. */
  readonly generationHash: string | null;
  readonly bootId: string;
}

/** Reads the controls file: a JSON list of contracts/compliance-control.nix documents, never empty. */
export function readControls(file: string): ComplianceControl[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CollectorError(
      'COMPLIANCE_ERR_CONTROLS',
      `controls file ${file}: ${(e as Error).message}. Fix: point --controls at the file services.nixfleet-compliance renders.`,
    );
  }
  if (!Array.isArray(doc) || doc.length === 0) {
    throw new CollectorError(
      'COMPLIANCE_ERR_CONTROLS',
      `controls file ${file} is not a non-empty list of controls: nothing would be checked. Fix: enable at least one framework in services.nixfleet-compliance.frameworks.`,
    );
  }
  return doc.map((c, i) => {
    const v = validateContract('compliance-control', c);
    if (!v.ok) {
      throw new CollectorError(
        'COMPLIANCE_ERR_CONTROLS',
        `controls file ${file}: entry ${i} is not a compliance control: ${JSON.stringify(v.errors).slice(0, 400)}`,
      );
    }
    return c as ComplianceControl;
  });
}

function run(argv: readonly string[], timeoutMs: number): Promise<ProbeRun> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) {
      resolve({ stdout: '', exitCode: null, error: 'empty command' });
      return;
    }
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout) => {
        if (err === null) return resolve({ stdout, exitCode: 0, error: null });
        const e = err as NodeJS.ErrnoException & {
          code?: unknown;
          killed?: boolean;
          signal?: string | null;
        };
        if (typeof e.code === 'number') return resolve({ stdout, exitCode: e.code, error: null });
        resolve({
          stdout,
          exitCode: null,
          error: e.killed || e.signal ? `killed (${e.signal ?? 'timeout'})` : e.message,
        });
      },
    );
  });
}

function writeAtomic(path: string, data: Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** One collection: every control's probe, judged, signed, written. Returns the verdicts. */
export async function collect(o: CollectOptions): Promise<Map<string, ControlVerdict>> {
  const controls = readControls(o.controlsFile);
  let keyText: string;
  try {
    keyText = readFileSync(o.hostKeyFile, 'utf8');
  } catch (e) {
    throw new CollectorError(
      'COMPLIANCE_ERR_HOST_KEY',
      `host key ${o.hostKeyFile}: ${(e as Error).message}. Fix: set --host-key to the host's ed25519 key (/etc/ssh/ssh_host_ed25519_key).`,
    );
  }
  const key = parsePrivateKey(keyText);
  if (!key.ok || key.value.algorithm !== 'ed25519') {
    throw new CollectorError(
      'COMPLIANCE_ERR_HOST_KEY',
      `host key ${o.hostKeyFile} is not an ed25519 private key. Fix: use /etc/ssh/ssh_host_ed25519_key, the key the agent verifies evidence with.`,
    );
  }
  const verdicts = new Map<string, ControlVerdict>();
  // One at a time: probes such as `find /` are heavy, and the schedule is the collector's own.
  for (const c of controls)
    verdicts.set(c.id, judgeControl(c.probe, await run(c.probe.command, o.timeoutMs)));
  const payload = evidencePayload({
    hostname: o.hostname,
    bootId: o.bootId,
    generationHash: o.generationHash,
    ts: toRfc3339(Math.floor(o.now() / 1000) * 1000),
    controls,
    verdicts,
  });
  const bytes = canonicalBytes(payload);
  if (!bytes.ok)
    throw new CollectorError(
      'COMPLIANCE_ERR_WRITE',
      `evidence payload is not canonicalisable: ${bytes.error.message}`,
    );
  const signature = encodeBase64(signBytes(bytes.value, key.value));
  try {
    writeAtomic(o.out, new TextEncoder().encode(JSON.stringify({ payload, signature })));
  } catch (e) {
    throw new CollectorError(
      'COMPLIANCE_ERR_WRITE',
      `writing ${o.out}: ${(e as Error).message}. Fix: the collector needs write access to its directory (StateDirectory of the unit).`,
    );
  }
  return verdicts;
}
