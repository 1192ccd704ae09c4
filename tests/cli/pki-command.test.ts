// `nixfleet pki …` made by the real CLI and accepted by the real control
// plane: the CP serves the issued server certificate, trusts the CA for
// clients, and an operator certificate minted by `mint-operator-cert` from
// the same CA reads its views (`whoami`). Rotation replaces key and
// certificate, keeps the names, and the restarted CP serves the new one.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createControlPlane,
  parseConfig,
  silentLogger,
  type ControlPlane,
} from '../../ts/cp/index.ts';
import { makeTrust } from '../cp/kit/release.ts';
import { runOp } from './support/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-pki-'));
const cps: ControlPlane[] = [];
afterAll(async () => {
  for (const cp of cps) await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

const at = (f: string): string => join(dir, f);
const mode = (f: string): number => statSync(at(f)).mode & 0o777;
const now = { now: new Date(), cwd: dir };

async function startCp(): Promise<number> {
  const trust = makeTrust(dir);
  const cp = await createControlPlane(
    parseConfig({
      listen: '127.0.0.1:0',
      tlsCert: at('cp-server.pem'),
      tlsKey: at('cp-server.key'),
      fleetCaCert: at('fleet-ca.pem'),
      fleetCaKey: at('fleet-ca.key'),
      trustFile: trust.trustFile,
      db: at(`state-${cps.length}.db`),
      releaseDir: at('release'),
      shutdownDeadlineSecs: '2',
    }),
    { log: silentLogger() },
  );
  cps.push(cp);
  return (await cp.start()).port;
}

const client = (url: string): string[] => [
  '--cp-url',
  url,
  '--ca-cert',
  at('fleet-ca.pem'),
  '--client-cert',
  at('op.pem'),
  '--client-key',
  at('op.key'),
];

describe('nixfleet pki', () => {
  it('init-ca writes the CA (key 0600) and refuses to overwrite it without --force', async () => {
    const r = await runOp(['pki', 'init-ca', '--name', 'test fleet CA'], now);
    expect(r.stderr).toContain('CN=test fleet CA');
    expect(r.code).toBe(0);
    expect(mode('fleet-ca.key')).toBe(0o600);
    const ca = new X509Certificate(readFileSync(at('fleet-ca.pem')));
    expect(ca.ca).toBe(true);
    const before = readFileSync(at('fleet-ca.key'), 'utf8');
    const again = await runOp(['pki', 'init-ca'], now);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('CLI_ERR_EXISTS');
    expect(readFileSync(at('fleet-ca.key'), 'utf8')).toBe(before);
  });

  it('server-cert refuses without a name, and refuses to overwrite', async () => {
    const none = await runOp(
      ['pki', 'server-cert', '--ca-cert', 'fleet-ca.pem', '--ca-key', 'fleet-ca.key'],
      now,
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no DNS name and no IP address');
    const bad = await runOp(
      [
        'pki',
        'server-cert',
        '--ca-cert',
        'fleet-ca.pem',
        '--ca-key',
        'fleet-ca.key',
        '--ip',
        'cp.example',
      ],
      now,
    );
    expect(bad.code).toBe(2);
    writeFileSync(at('taken.pem'), 'x');
    const taken = await runOp(
      [
        'pki',
        'server-cert',
        '--ca-cert',
        'fleet-ca.pem',
        '--ca-key',
        'fleet-ca.key',
        '--dns',
        'localhost',
        '--out-cert',
        'taken.pem',
      ],
      now,
    );
    expect(taken.stderr).toContain('CLI_ERR_EXISTS');
    expect(readFileSync(at('taken.pem'), 'utf8')).toBe('x');
  });

  it('the real CP serves the issued certificate and accepts a minted operator certificate', async () => {
    const s = await runOp(
      [
        'pki',
        'server-cert',
        '--ca-cert',
        'fleet-ca.pem',
        '--ca-key',
        'fleet-ca.key',
        '--dns',
        'localhost',
        '--ip',
        '127.0.0.1',
      ],
      now,
    );
    expect(s.code).toBe(0);
    expect(mode('cp-server.key')).toBe(0o600);
    const m = await runOp(
      [
        'mint-operator-cert',
        '--ca-cert',
        'fleet-ca.pem',
        '--ca-key',
        'fleet-ca.key',
        '--name',
        'alice',
        '--out-cert',
        'op.pem',
        '--out-key',
        'op.key',
      ],
      now,
    );
    expect(m.code).toBe(0);
    const port = await startCp();
    for (const host of ['localhost', '127.0.0.1']) {
      const w = await runOp(['whoami', ...client(`https://${host}:${port}`)], now);
      expect(w.stderr).toBe('');
      expect(w.stdout).toContain('operator:alice (operator)');
      expect(w.code).toBe(0);
    }
  });

  it('rotate-server-cert: new key and serial, same names; the restarted CP serves it', async () => {
    const oldCert = new X509Certificate(readFileSync(at('cp-server.pem')));
    const oldKey = readFileSync(at('cp-server.key'), 'utf8');
    const r = await runOp(
      ['pki', 'rotate-server-cert', '--ca-cert', 'fleet-ca.pem', '--ca-key', 'fleet-ca.key'],
      now,
    );
    expect(r.stderr).toContain('names localhost, 127.0.0.1');
    expect(r.code).toBe(0);
    const cert = new X509Certificate(readFileSync(at('cp-server.pem')));
    expect(cert.serialNumber).not.toBe(oldCert.serialNumber);
    expect(cert.subjectAltName).toBe(oldCert.subjectAltName);
    expect(readFileSync(at('cp-server.key'), 'utf8')).not.toBe(oldKey);
    expect(mode('cp-server.key')).toBe(0o600);
    await cps[0]?.stop();
    cps.shift();
    const port = await startCp();
    const w = await runOp(['whoami', ...client(`https://localhost:${port}`)], now);
    expect(w.code).toBe(0);
  });

  it('a certificate for other names is refused by the client (exit 3), and rotation refuses a foreign CA', async () => {
    const s = await runOp(
      [
        'pki',
        'server-cert',
        '--ca-cert',
        'fleet-ca.pem',
        '--ca-key',
        'fleet-ca.key',
        '--dns',
        'cp.example.org',
        '--force',
      ],
      now,
    );
    expect(s.code).toBe(0);
    const port = await startCp();
    const w = await runOp(['whoami', ...client(`https://127.0.0.1:${port}`)], now);
    expect(w.code).toBe(3);
    const other = await runOp(
      ['pki', 'init-ca', '--out-cert', 'other.pem', '--out-key', 'other.key'],
      now,
    );
    expect(other.code).toBe(0);
    const r = await runOp(
      ['pki', 'rotate-server-cert', '--ca-cert', 'other.pem', '--ca-key', 'other.key'],
      now,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('was not issued by the fleet CA');
  });
});
