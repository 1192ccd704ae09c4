// The auditVerifies invariant: `nixfleet audit` run as an auditor runs it — a
// separate process with only trust.json, the release history (a copy of the
// release directory per release), the host's collector evidence and a
// `rollout events --json` export of each rollout — states the host's days
// over the run, and refuses when one bit of any input kind is flipped.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CpAccess } from './invariants.ts';
import { REPO, type Published } from './publish.ts';

const run = promisify(execFile);
const cli = join(REPO, 'bin/nixfleet.mjs');

/** The host the statement is about (the scenario's canary). */
export const AUDITED_HOST = 'canary-01';

/** Where the runner keeps a copy of the release directory after each release. */
export const releaseHistoryDir = (workDir: string): string => join(workDir, 'release-history');

/** Keeps the release directory as release `n` published it (the next release rewrites it). */
export function keepReleaseCopy(releaseDir: string, workDir: string, n: number): void {
  cpSync(releaseDir, join(releaseHistoryDir(workDir), String(n)), { recursive: true });
}

interface AuditRun {
  readonly code: number;
  readonly out: Record<string, unknown> | null;
  readonly text: string;
}

async function audit(args: readonly string[]): Promise<AuditRun> {
  try {
    const r = await run(process.execPath, [cli, 'audit', ...args, '--json'], {
      cwd: REPO,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, out: JSON.parse(r.stdout) as Record<string, unknown>, text: r.stdout };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string; message: string };
    let out: Record<string, unknown> | null = null;
    try {
      out = JSON.parse(x.stdout ?? '') as Record<string, unknown>;
    } catch {
      out = null;
    }
    return {
      code: typeof x.code === 'number' ? x.code : -1,
      out,
      text: (x.stderr || x.stdout || x.message).trim(),
    };
  }
}

/** Flips the lowest bit of the byte at `at` (a fraction of the file, or an offset). */
function flipBit(file: string, at: number): void {
  const b = readFileSync(file);
  const i = at < 1 ? Math.floor(b.length * at) : at;
  b[i] = b[i]! ^ 1;
  writeFileSync(file, b);
}

/** Offset of a byte inside the first signed payload (`payloadJcs`) of an events export. */
function signedByteOffset(file: string): number {
  const text = readFileSync(file, 'latin1');
  const key = text.indexOf('"payloadJcs"');
  if (key < 0) return -1;
  const open = text.indexOf('"', text.indexOf(':', key)) + 1;
  return open + 20;
}

/** The violations of auditVerifies; empty when it holds. */
export async function checkAuditVerifies(i: {
  readonly workDir: string;
  readonly trustFile: string;
  readonly published: readonly Published[];
  readonly cp: CpAccess;
  readonly note: (line: string) => void;
}): Promise<string[]> {
  const host = AUDITED_HOST;
  const dir = join(i.workDir, 'auditor');
  mkdirSync(dir, { recursive: true });
  const history = releaseHistoryDir(i.workDir);
  if (!existsSync(history) || readdirSync(history).length === 0)
    return ['auditVerifies: no release was kept for the auditor'];
  const exports: string[] = [];
  for (const id of i.published.flatMap((p) => p.rolloutIds)) {
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        'rollout',
        'events',
        id,
        '--json',
        '--cp-url',
        i.cp.cpUrl,
        '--ca-cert',
        i.cp.caCert,
      ].concat(['--client-cert', i.cp.clientCert, '--client-key', i.cp.clientKey]),
      { cwd: REPO, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const f = join(dir, `events-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    writeFileSync(f, stdout);
    exports.push(f);
  }
  const collector = join(
    i.workDir,
    'hosts',
    host,
    'sandbox/var/lib/nixfleet-compliance/evidence.json',
  );
  if (!existsSync(collector)) return [`auditVerifies: ${host} has no collector evidence`];
  const evidence = join(dir, 'collector-evidence.json');
  cpSync(collector, evidence);
  if (exports.length === 0) return ['auditVerifies: no rollout to export events of'];
  const trustSha = createHash('sha256').update(readFileSync(i.trustFile)).digest('hex');
  const first = JSON.parse(readFileSync(join(history, '1', 'fleet.resolved.json'), 'utf8')) as {
    meta: { signedAt: string };
  };
  const from = first.meta.signedAt.slice(0, 10);
  const to = new Date().toISOString().slice(0, 10);
  const args = (o: { trust?: string; history?: string; evidence?: string; events?: string[] }) => [
    host,
    '--from',
    from,
    '--to',
    to,
    '--trust',
    o.trust ?? i.trustFile,
    '--trust-sha256',
    trustSha,
    '--release-dir',
    o.history ?? history,
    '--evidence',
    o.evidence ?? evidence,
    ...(o.events ?? exports).flatMap((e) => ['--evidence', e]),
  ];

  const violations: string[] = [];
  const ok = await audit(args({}));
  if (ok.code !== 0 || ok.out === null)
    return [`auditVerifies: nixfleet audit ${host} exited ${ok.code}: ${ok.text.slice(0, 600)}`];
  writeFileSync(join(dir, 'statement.json'), ok.text);
  const days = (ok.out['days'] ?? []) as {
    date: string;
    verdict: string;
    closures: { closureHash: string | null }[];
    controls: { controlId: string; status: string }[];
  }[];
  const closures = days.flatMap((d) => d.closures.map((c) => c.closureHash ?? ''));
  for (const p of i.published) {
    // The release names a closure by its store basename; the statement by its hash part.
    const c = p.closures[host];
    if (c && !closures.some((s) => s !== '' && c.startsWith(s.slice(0, 32))))
      violations.push(
        `auditVerifies: the statement does not name ${host}'s closure ${c} of generation ${p.generation}`,
      );
  }
  const failed = days.filter((d) =>
    d.controls.some((c) => c.controlId === 'firewall-enabled' && c.status === 'Fail'),
  );
  if (failed.length === 0 || failed.some((d) => d.verdict !== 'failed'))
    violations.push(
      `auditVerifies: no day of the statement is failed with control firewall-enabled failing: ${JSON.stringify(days.map((d) => ({ date: d.date, verdict: d.verdict, controls: d.controls.map((c) => `${c.controlId}:${c.status}`) })))}`,
    );
  i.note(
    `auditVerifies: nixfleet audit ${host} ${from}..${to} verified ${(ok.out['releases'] as unknown[]).length} release(s); days ${days.map((d) => `${d.date} ${d.verdict}`).join(', ')}`,
  );

  // One flipped bit per input kind, each in a copy: the whole statement is refused.
  const tamper = join(dir, 'tampered');
  const cases: { kind: string; code: string; argv: () => string[] }[] = [
    {
      kind: 'a release copy (fleet.resolved.json)',
      code: 'AUDIT_ERR_RELEASE',
      argv: () => {
        const h = join(tamper, 'history');
        cpSync(history, h, { recursive: true });
        flipBit(join(h, '1', 'fleet.resolved.json'), 0.5);
        return args({ history: h });
      },
    },
    {
      kind: 'the collector evidence',
      code: 'AUDIT_ERR_EVIDENCE',
      argv: () => {
        const f = join(tamper, 'collector-evidence.json');
        cpSync(evidence, f);
        flipBit(f, 0.5);
        return args({ evidence: f });
      },
    },
    {
      kind: 'the events export (inside a signed payload)',
      code: 'AUDIT_ERR_EVIDENCE',
      argv: () => {
        const f = join(tamper, 'events.json');
        cpSync(exports[0]!, f);
        const at = signedByteOffset(f);
        if (at < 0) throw new Error(`${exports[0]} carries no signed evidence`);
        flipBit(f, at);
        return args({ events: [f, ...exports.slice(1)] });
      },
    },
    {
      kind: 'trust.json',
      code: 'AUDIT_ERR_TRUST',
      argv: () => {
        const f = join(tamper, 'trust.json');
        cpSync(i.trustFile, f);
        flipBit(f, 0.5);
        return args({ trust: f });
      },
    },
  ];
  for (const c of cases) {
    mkdirSync(tamper, { recursive: true });
    let argv: string[];
    try {
      argv = c.argv();
    } catch (e) {
      violations.push(`auditVerifies: ${c.kind}: ${(e as Error).message}`);
      continue;
    }
    const r = await audit(argv);
    const code = (r.out?.['error'] as { code?: string } | undefined)?.code;
    if (r.code !== 1 || code !== c.code)
      violations.push(
        `auditVerifies: a flipped bit in ${c.kind} must be refused with ${c.code} (exit 1), got exit ${r.code} ${code ?? ''}: ${r.text.slice(0, 300)}`,
      );
    else i.note(`auditVerifies: a flipped bit in ${c.kind} is refused: ${code}`);
  }
  return violations;
}
