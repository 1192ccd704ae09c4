// The compliance collector end to end (docs/compliance.md, Collector): the
// real nixfleet-compliance-collect process runs each control's probe,
// signs the evidence with a host key and replaces the evidence file; the
// agent's own evidence probe (ts/agent/probes/runners.ts) verifies it and
// reports one sub_result per control of its framework, naming the failing
// one. A tampered file or another host's key is refused.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComplianceControl } from '../../ts/contracts/index.ts';
import type { ProbeSpec } from '../../ts/agent/probes/config.ts';
import { runProbe, type RunnerContext } from '../../ts/agent/probes/runners.ts';
import { exportPkcs8Pem, generatePrivateKey } from '../../ts/trust/index.ts';

const BIN = join(import.meta.dirname, '../../bin/nixfleet-compliance-collect.mjs');
const dir = mkdtempSync(join(tmpdir(), 'nixfleet-collector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = generatePrivateKey('ed25519');
const keyFile = join(dir, 'ssh_host_ed25519_key');
writeFileSync(keyFile, exportPkcs8Pem(key), { mode: 0o600 });

/** A control whose probe prints `stdout` through sh and exits with `code`. */
const control = (
  id: string,
  frameworks: Record<string, string[]>,
  script: string,
  probe: Partial<ComplianceControl['probe']>,
): ComplianceControl => ({
  id,
  title: `${id} holds.`,
  rationale: 'test',
  frameworks,
  static: { optionPaths: [] },
  probe: {
    command: ['sh', '-c', script],
    output: 'key-value',
    expectedShape: {},
    expect: { exitCode: [0] },
    schemaVersion: 1,
    ...probe,
  },
});

const controls: ComplianceControl[] = [
  control(
    'ssh-root-login-disabled',
    { 'nis2-essential': ['art.21(2)(i)'], iso27001: ['A.8.2'] },
    'echo "PermitRootLogin yes"',
    {
      expectedShape: { permitrootlogin: 'string' },
      expect: { permitrootlogin: ['no'], exitCode: [0] },
    },
  ),
  control(
    'fs-sysctl-hardening',
    { 'nis2-essential': ['art.21(2)(g)'] },
    'echo "fs.suid_dumpable = 0"',
    {
      output: 'sysctl',
      expectedShape: { 'fs.suid_dumpable': 'string' },
      expect: { 'fs.suid_dumpable': ['0'], exitCode: [0] },
    },
  ),
  control('no-world-writable-paths', { iso27001: ['A.8.3'] }, 'true', {
    output: 'lines',
    expectedShape: { count: 'integer', lines: 'array' },
    expect: { count: [0], exitCode: [0] },
  }),
];

async function collect(
  out: string,
  file = join(dir, 'controls.json'),
): Promise<{ code: number; stdout: string; stderr: string }> {
  writeFileSync(file, JSON.stringify(controls));
  try {
    const r = await promisify(execFile)(
      process.execPath,
      [BIN, '--controls', file, '--host-key', keyFile, '--hostname', 'web-01', '--out', out],
      { timeout: 60_000 },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const evidenceProbe = (
  framework: string,
  evidencePath: string,
  overrides: Record<
    string,
    { mode: 'observe' | 'disabled' | 'enforce'; reason: string | null }
  > = {},
): ProbeSpec => ({
  name: `evidence-${framework}`,
  kind: 'evidence',
  intervalSeconds: 60,
  mode: 'enforce',
  framework,
  evidencePath,
  reason: null,
  controlOverrides: overrides,
});

const ctx = (publicKey = key.publicKey): RunnerContext => ({
  hostname: 'web-01',
  hostPublicKey: publicKey,
  memo: new Map(),
  failedUnits: async () => [],
  hostFile: (p) => p,
});

describe('nixfleet-compliance-collect → the agent evidence probe', () => {
  it('writes a host-signed evidence file; the agent names the failing control per framework', async () => {
    const out = join(dir, 'state', 'evidence.json');
    const r = await collect(out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      'FAIL ssh-root-login-disabled: permitrootlogin is "yes", expected one of ["no"]',
    );
    expect(r.stdout).toContain('2 passed, 1 failed');

    const nis2 = await runProbe(evidenceProbe('nis2-essential', out), ctx());
    expect(nis2.status).toBe('Fail');
    expect(nis2.failureReason).toBe('1 control(s) failing for nis2-essential');
    expect(nis2.subResults).toEqual([
      {
        control_id: 'fs-sysctl-hardening',
        status: 'Pass',
        framework: 'nis2-essential',
        article: 'art.21(2)(g)',
      },
      {
        control_id: 'ssh-root-login-disabled',
        status: 'Fail',
        framework: 'nis2-essential',
        article: 'art.21(2)(i)',
      },
    ]);

    // The same file, read for iso27001 with the failing control in observe: passes.
    const iso = await runProbe(
      evidenceProbe('iso27001', out, {
        'ssh-root-login-disabled': { mode: 'observe', reason: 'bastion' },
      }),
      ctx(),
    );
    expect(iso.status).toBe('Pass');
    expect(iso.subResults?.map((s) => `${s.control_id}:${s.status}`)).toEqual([
      'no-world-writable-paths:Pass',
      'ssh-root-login-disabled:Fail',
    ]);

    // The signed output carries each control's normalised output and schema version.
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      payload: { output: { controls: Record<string, unknown> } };
    };
    expect(doc.payload.output.controls['ssh-root-login-disabled']).toEqual({
      schemaVersion: 1,
      command: ['sh', '-c', 'echo "PermitRootLogin yes"'],
      output: { permitrootlogin: 'yes', exitCode: 0 },
      failure: 'permitrootlogin is "yes", expected one of ["no"]',
    });
  }, 60_000);

  it('a flipped byte or another host key is refused by the agent', async () => {
    const out = join(dir, 'tamper', 'evidence.json');
    expect((await collect(out)).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    writeFileSync(out, text.replace('"status":"Fail"', '"status":"Pass"'));
    const tampered = await runProbe(evidenceProbe('nis2-essential', out), ctx());
    expect(tampered.status).toBe('Fail');
    expect(tampered.failureReason).toMatch(/^evidence rejected: /);

    expect((await collect(out)).code).toBe(0);
    const foreign = await runProbe(
      evidenceProbe('nis2-essential', out),
      ctx(generatePrivateKey('ed25519').publicKey),
    );
    expect(foreign.failureReason).toMatch(/^evidence rejected: /);
  }, 60_000);

  it('an empty controls file is a typed error and writes nothing', async () => {
    const file = join(dir, 'empty.json');
    writeFileSync(file, '[]');
    const out = join(dir, 'none', 'evidence.json');
    const r = await promisify(execFile)(process.execPath, [
      BIN,
      '--controls',
      file,
      '--host-key',
      keyFile,
      '--out',
      out,
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(2);
    expect((r as { stderr: string }).stderr).toContain('COMPLIANCE_ERR_CONTROLS');
    expect(() => readFileSync(out)).toThrow();
  }, 60_000);
});
