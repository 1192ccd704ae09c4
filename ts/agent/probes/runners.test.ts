import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalBytes,
  encodeBase64,
  generatePrivateKey,
  signCanonical,
  verifySignedPayload,
} from '../../trust/index.ts';
import { splitCommand } from './argv.ts';
import type { ProbeSpec } from './config.ts';
import { loadProbeSet } from './config.ts';
import { signProbeResult, storeEvidence } from './evidence.ts';
import { gateProbes } from './health-gate.ts';
import { runProbe, type RunnerContext } from './runners.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-probes-'));
const key = generatePrivateKey('ed25519');
const ctx = (failed: readonly string[] = []): RunnerContext => ({
  hostname: 'web-01',
  hostPublicKey: key.publicKey,
  memo: new Map(),
  failedUnits: async () => failed,
  hostFile: (p) => p,
});
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/ok' ? 200 : 500).end('version 1.2.3');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const base = { intervalSeconds: 1, mode: 'enforce' as const };

describe('probe runners', () => {
  it('http: status and body', async () => {
    const http = (path: string, bodyContains: string | null): ProbeSpec => ({
      ...base,
      name: 'h',
      kind: 'http',
      url: `http://127.0.0.1:${port}${path}`,
      expectStatus: 200,
      bodyContains,
      timeoutSecs: 2,
    });
    expect((await runProbe(http('/ok', '1.2.3'), ctx())).status).toBe('Pass');
    expect((await runProbe(http('/ok', '9.9'), ctx())).status).toBe('Fail');
    expect((await runProbe(http('/bad', null), ctx())).failureReason).toMatch(/HTTP 500/);
  });

  it('tcp: connect or fail', async () => {
    const tcp = (p: number): ProbeSpec => ({
      ...base,
      name: 't',
      kind: 'tcp',
      host: '127.0.0.1',
      port: p,
      connectTimeoutSecs: 2,
    });
    expect((await runProbe(tcp(port), ctx())).status).toBe('Pass');
    expect((await runProbe(tcp(1), ctx())).status).toBe('Fail');
  });

  it('exec: exit code, no shell', async () => {
    const exec = (command: string): ProbeSpec => ({
      ...base,
      name: 'e',
      kind: 'exec',
      command,
      expectExitCode: 0,
      timeoutSecs: 2,
    });
    expect((await runProbe(exec('/bin/true'), ctx())).status).toBe('Pass');
    expect((await runProbe(exec('/bin/false'), ctx())).status).toBe('Fail');
    expect((await runProbe(exec('/bin/true; /bin/false'), ctx())).status).toBe('Fail');
    expect((await runProbe(exec('/nonexistent/x'), ctx())).failureReason).toMatch(/ENOENT/);
    expect(splitCommand(`a 'b c' "d \\" e"`)).toEqual(['a', 'b c', 'd " e']);
  });

  it('evidence: host-signed payload, framework controls, overrides, foreign key refused', async () => {
    const payload = (status: 'Pass' | 'Fail') => ({
      schemaVersion: 1,
      hostname: 'web-01',
      probe: 'collector',
      kind: 'evidence',
      mode: 'enforce',
      status,
      ts: '2026-01-01T00:00:00Z',
      bootId: 'b',
      generationHash: null,
      rolloutId: null,
      schema: 'nis2',
      controls: [
        { controlId: 'a', status: 'Pass', framework: 'nis2', article: null },
        { controlId: 'b', status, framework: 'nis2', article: 'art.21' },
      ],
      output: {},
    });
    const write = (status: 'Pass' | 'Fail', signer = key): string => {
      const p = join(dir, `evidence-${status}-${signer === key ? 'own' : 'foreign'}.json`);
      const s = signCanonical(payload(status), signer);
      if (!s.ok) throw new Error('sign');
      writeFileSync(
        p,
        JSON.stringify({ payload: payload(status), signature: encodeBase64(s.value.signature) }),
      );
      return p;
    };
    const ev = (evidencePath: string, overrides = {}): ProbeSpec => ({
      ...base,
      name: 'evidence-nis2',
      kind: 'evidence',
      framework: 'nis2',
      evidencePath,
      controlOverrides: overrides,
      reason: null,
    });
    const pass = await runProbe(ev(write('Pass')), ctx());
    expect(pass.status).toBe('Pass');
    expect(pass.subResults).toHaveLength(2);
    expect((await runProbe(ev(write('Fail')), ctx())).status).toBe('Fail');
    const observed = await runProbe(
      ev(write('Fail'), { b: { mode: 'observe', reason: null } }),
      ctx(),
    );
    expect(observed.status).toBe('Pass');
    const foreign = await runProbe(ev(write('Pass', generatePrivateKey('ed25519'))), ctx());
    expect(foreign.failureReason).toMatch(/BadSignature|does not verify/);
    expect((await runProbe(ev(join(dir, 'missing.json')), ctx())).status).toBe('Fail');
    // The declared path is read where the backend says: a sandbox host's own `/`.
    const root = mkdtempSync(join(tmpdir(), 'nixfleet-root-'));
    mkdirSync(join(root, 'var/lib/nixfleet-compliance'), { recursive: true });
    renameSync(write('Fail'), join(root, 'var/lib/nixfleet-compliance/evidence.json'));
    const rooted = { ...ctx(), hostFile: (p: string) => join(root, p) };
    const inRoot = await runProbe(ev('/var/lib/nixfleet-compliance/evidence.json'), rooted);
    expect(inRoot.failureReason).toBe('1 control(s) failing for nis2');
  });

  it('signs result payloads an auditor can verify with the host key', () => {
    const spec: ProbeSpec = {
      ...base,
      name: 'e',
      kind: 'exec',
      command: '/bin/true',
      expectExitCode: 0,
      timeoutSecs: 1,
    };
    const s = signProbeResult({
      spec,
      outcome: { status: 'Pass', failureReason: null, subResults: null, output: { exitCode: 0 } },
      at: 1_767_225_600_000,
      hostname: 'web-01',
      bootId: 'boot',
      generation: null,
      rolloutId: 'stable@abc',
      key,
    });
    const v = verifySignedPayload(s.bytes, s.signature, {
      publicKey: key.publicKey,
      contract: 'probe-payload',
      expectedHostname: 'web-01',
    });
    expect(v.ok).toBe(true);
    // Stored: the one-file pair re-canonicalises to exactly the signed bytes, and the
    // two-file form holds those bytes and the raw signature.
    const dir = mkdtempSync(join(tmpdir(), 'nixfleet-evidence-'));
    try {
      storeEvidence(dir, s);
      const pair = JSON.parse(readFileSync(join(dir, 'e.evidence.json'), 'utf8')) as {
        payload: unknown;
        signature: string;
      };
      const bytes = canonicalBytes(pair.payload);
      expect(bytes.ok && Buffer.from(bytes.value).equals(Buffer.from(s.bytes))).toBe(true);
      expect(pair.signature).toBe(s.signatureBase64);
      expect(readFileSync(join(dir, 'e.json')).equals(Buffer.from(s.bytes))).toBe(true);
      expect(readFileSync(join(dir, 'e.json.sig')).equals(Buffer.from(s.signature))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads health-checks.json and refuses another host’s file', () => {
    const p = join(dir, 'hc.json');
    writeFileSync(p, JSON.stringify({ schemaVersion: 1, hostname: 'web-01', probes: {} }));
    expect(loadProbeSet(p, 'web-01')).toMatchObject({ present: true, probes: [] });
    expect(() => loadProbeSet(p, 'db-01')).toThrow(/rendered for web-01/);
    expect(loadProbeSet(join(dir, 'none.json'), 'web-01')).toMatchObject({ present: false });
    writeFileSync(p, '{"schemaVersion":1');
    expect(() => loadProbeSet(p, 'web-01')).toThrow(/not JSON/);
  });

  it('health gate: failed units within max pass, above max fail naming them, unknown fails closed', async () => {
    const [units] = gateProbes({ kind: 'gate', gate: { systemdFailedUnits: { max: 1 } } });
    expect(units).toMatchObject({ name: 'health-gate-systemd-failed-units', mode: 'enforce' });
    expect((await runProbe(units!, ctx(['a.service']))).status).toBe('Pass');
    const over = await runProbe(units!, ctx(['a.service', 'b.service']));
    expect(over.status).toBe('Fail');
    expect(over.failureReason).toBe('2 failed systemd unit(s) (max 1): a.service, b.service');
    const blind = await runProbe(units!, {
      ...ctx(),
      failedUnits: () => Promise.reject(new Error('no systemd')),
    });
    expect(blind).toMatchObject({ status: 'Fail' });
    expect(blind.failureReason).toMatch(/cannot list failed systemd units: no systemd/);
    // A signed condition this agent cannot measure, or an unreadable
    // manifest, is a probe that always fails, never an absent one.
    const [unknown] = gateProbes({ kind: 'gate', gate: { systemdFailedUnits: null, cpuLoad: 2 } });
    expect(unknown?.name).toBe('health-gate-cpu-load');
    expect((await runProbe(unknown!, ctx())).failureReason).toMatch(/cannot measure it/);
    const [lost] = gateProbes({ kind: 'unreadable', rolloutId: 'stable@abc1234', reason: 'x' });
    expect((await runProbe(lost!, ctx())).status).toBe('Fail');
    expect(gateProbes({ kind: 'gate', gate: {} })).toEqual([]);
    expect(gateProbes({ kind: 'none' })).toEqual([]);
  });
});
