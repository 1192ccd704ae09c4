import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../ts/cp/pki/x509.ts';
import {
  exportPkcs8Pem,
  generatePrivateKey,
  parseTrustConfigBytes,
  verifyBootstrapToken,
} from '../../ts/trust/index.ts';
import { startFakeCp, type FakeCp } from './support/fake-cp.ts';
import { midRollout } from './support/fleet-fixtures.ts';
import { makeTestPki, type TestPki } from './support/pki.ts';
import { runOp } from './support/run.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'trust');
const ORG_ROOT = join(FIX, 'keys', 'org-root.pem');
const TRUST = join(FIX, 'trust.json');
const HOST_PUB = join(FIX, 'keys', 'host-00042_ed25519_key.pub');
const HOST_KEY = join(FIX, 'keys', 'host-00042_ed25519_key');
const FLEET = join(FIX, 'fleet.resolved.json');
const NOW = new Date('2026-01-15T13:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-tokens-'));

/** `nixfleet mint-token` for host-00042 with the fixture's org root key, at NOW. */
const mintForHost42 = (extra: readonly string[] = []): ReturnType<typeof runOp> =>
  runOp(
    [
      'mint-token',
      '--hostname',
      'host-00042',
      '--pubkey-file',
      HOST_PUB,
      '--org-root-key',
      ORG_ROOT,
      ...extra,
    ],
    { now: NOW },
  );
const trust = parseTrustConfigBytes(new Uint8Array(readFileSync(TRUST)));
if (!trust.ok) throw new Error('fixture trust.json');

describe('nixfleet mint-token', () => {
  it('prints a token the CP verifier accepts, and the bootstrapNonces snippet', async () => {
    const r = await mintForHost42(['--trust', TRUST, '--minted-by', 'alice']);
    expect(r.code).toBe(0);
    const token = JSON.parse(r.stdout) as {
      claims: { nonce: string; expiresAt: string; issuedAt: string };
    };
    const v = verifyBootstrapToken(token, {
      trust: trust.value,
      now: NOW,
      expectedHostname: 'host-00042',
    });
    expect(v.ok).toBe(true);
    expect(token.claims.issuedAt).toBe('2026-01-15T13:00:00Z');
    expect(token.claims.expiresAt).toBe('2026-01-16T13:00:00Z');
    expect(token.claims.nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(r.stderr).toBe(
      [
        `nonce: ${token.claims.nonce}`,
        'expiresAt: 2026-01-16T13:00:00Z',
        '',
        'Add to fleet.nix `bootstrapNonces`, commit, and push:',
        '{',
        `  nonce = "${token.claims.nonce}";`,
        '  hostname = "host-00042";',
        '  expiresAt = "2026-01-16T13:00:00Z";',
        '  mintedAt = "2026-01-15T13:00:00Z";',
        '  mintedBy = "alice";',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('takes the host key from fleet.resolved, or a fingerprint; a mismatch is exit 1', async () => {
    const fromFleet = await runOp(
      [
        'mint-token',
        '--hostname',
        'host-00042',
        '--fleet-resolved',
        FLEET,
        '--org-root-key',
        ORG_ROOT,
        '--validity',
        '2h',
      ],
      { now: NOW },
    );
    expect(fromFleet.code).toBe(0);
    const t = JSON.parse(fromFleet.stdout) as {
      claims: { expectedPubkeyFingerprint: string; expiresAt: string };
    };
    expect(t.claims.expiresAt).toBe('2026-01-15T15:00:00Z');
    const derived = await runOp(['derive-pubkey', '--key', HOST_KEY, '--format', 'fingerprint']);
    expect(derived.stdout.trim()).toBe(t.claims.expectedPubkeyFingerprint);
    const byFp = await runOp(
      [
        'mint-token',
        '--hostname',
        'host-00042',
        '--csr-pubkey-fingerprint',
        derived.stdout.trim(),
        '--org-root-key',
        ORG_ROOT,
      ],
      { now: NOW },
    );
    expect(byFp.code).toBe(0);
    const mismatch = await runOp(
      [
        'mint-token',
        '--hostname',
        'host-00041',
        '--fleet-resolved',
        FLEET,
        '--pubkey-file',
        HOST_PUB,
        '--org-root-key',
        ORG_ROOT,
      ],
      { now: NOW },
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('CLI_ERR_KEY_UNTRUSTED');
    expect(mismatch.stderr).toContain('is not the key fleet.resolved declares for host-00041');
  });

  it('refuses a forged org root key and a retired one (exit 1)', async () => {
    const forged = join(dir, 'forged.pem');
    writeFileSync(forged, exportPkcs8Pem(generatePrivateKey('ed25519')));
    const r = await runOp(
      [
        'mint-token',
        '--hostname',
        'host-00042',
        '--pubkey-file',
        HOST_PUB,
        '--org-root-key',
        forged,
        '--trust',
        TRUST,
      ],
      { now: NOW },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not an active orgRootKey');
    expect(r.stdout).toBe('');
    // The fixture org root rotated out: now `previous`, retired at 2026-01-10.
    const doc = JSON.parse(readFileSync(TRUST, 'utf8')) as { orgRootKey: Record<string, unknown> };
    const rotated = {
      ...doc,
      orgRootKey: {
        current: {
          algorithm: 'ed25519',
          public: Buffer.from(generatePrivateKey('ed25519').publicKey.raw).toString('base64'),
        },
        previous: doc.orgRootKey['current'],
        rejectBefore: null,
        successor: null,
        retireAt: '2026-01-10T00:00:00Z',
      },
    };
    const rotatedPath = join(dir, 'trust-rotated.json');
    writeFileSync(rotatedPath, JSON.stringify(rotated));
    const retired = await mintForHost42(['--trust', rotatedPath]);
    expect(retired.code).toBe(1);
    expect(retired.stderr).toContain('retired, rotated out, or never declared');
    // rejectBefore in the future: the CP would refuse what we mint now.
    const strict = {
      ...JSON.parse(readFileSync(TRUST, 'utf8')),
      orgRootKey: { ...doc.orgRootKey, rejectBefore: '2026-02-01T00:00:00Z' },
    };
    const strictPath = join(dir, 'trust-strict.json');
    writeFileSync(strictPath, JSON.stringify(strict));
    const refused = await mintForHost42(['--trust', strictPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the minted token would be refused');
  });

  it('bad input is exit 2 with a clear message', async () => {
    const junk = join(dir, 'junk.pub');
    writeFileSync(junk, 'ssh-rsa AAAAB3NzaC1yc2E= x\n');
    const cases: [string[], string][] = [
      [
        ['--hostname', 'Bad_Host', '--pubkey-file', HOST_PUB, '--org-root-key', ORG_ROOT],
        'is not a host name',
      ],
      [['--hostname', 'h', '--pubkey-file', junk, '--org-root-key', ORG_ROOT], 'CLI_ERR_KEY'],
      [
        ['--hostname', 'h', '--csr-pubkey-fingerprint', 'abc', '--org-root-key', ORG_ROOT],
        'is not base64 of a SHA-256',
      ],
      [
        ['--hostname', 'h', '--pubkey-file', HOST_PUB, '--org-root-key', join(dir, 'none.pem')],
        'ENOENT',
      ],
      [['--hostname', 'h', '--pubkey-file', HOST_PUB], 'no org root key'],
      [
        [
          '--hostname',
          'h',
          '--pubkey-file',
          HOST_PUB,
          '--org-root-key',
          ORG_ROOT,
          '--validity',
          '90d',
        ],
        'at most 30d',
      ],
      [['--hostname', 'h', '--org-root-key', ORG_ROOT], 'no host key for h'],
      [
        ['--hostname', 'nope', '--fleet-resolved', FLEET, '--org-root-key', ORG_ROOT],
        'is not a host of',
      ],
      [
        ['--hostname', 'h', '--pubkey-file', HOST_PUB, '--org-root-key', HOST_PUB],
        '--org-root-key',
      ],
    ];
    for (const [args, msg] of cases) {
      const r = await runOp(['mint-token', ...args], { now: NOW });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(msg);
      expect(r.stdout).toBe('');
    }
    const p256 = join(dir, 'p256.pem');
    writeFileSync(p256, exportPkcs8Pem(generatePrivateKey('ecdsa-p256')));
    const r = await runOp(
      ['mint-token', '--hostname', 'h', '--pubkey-file', HOST_PUB, '--org-root-key', p256],
      { now: NOW },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ed25519 org root key');
  });

  it('reads the org root key from NIXFLEET_OPERATOR_ORG_ROOT_KEY', async () => {
    const r = await runOp(['mint-token', '--hostname', 'host-00042', '--pubkey-file', HOST_PUB], {
      now: NOW,
      env: { HOME: dir, NIXFLEET_OPERATOR_ORG_ROOT_KEY: ORG_ROOT },
    });
    expect(r.code).toBe(0);
  });
});

describe('nixfleet derive-pubkey', () => {
  it('prints base64, openssh, fingerprint and trust-json forms', async () => {
    const b64 = await runOp(['derive-pubkey', '--key', ORG_ROOT]);
    expect(b64.stdout).toBe('JLSZBHgD+rnkRBZVO23o+PABKgyzfzJKLFiG4QdUgsc=\n');
    expect(
      (await runOp(['derive-pubkey', '--key', ORG_ROOT, '--format', 'trust-json'])).stdout,
    ).toBe('{"algorithm":"ed25519","public":"JLSZBHgD+rnkRBZVO23o+PABKgyzfzJKLFiG4QdUgsc="}\n');
    const ssh = await runOp(['derive-pubkey', '--key', HOST_KEY, '--format', 'openssh']);
    expect(ssh.stdout.trim()).toBe(
      readFileSync(HOST_PUB, 'utf8').trim().split(' ').slice(0, 2).join(' '),
    );
    expect((await runOp(['derive-pubkey', '--key', HOST_PUB])).code).toBe(2);
    expect((await runOp(['derive-pubkey', '--key', ORG_ROOT, '--format', 'pem'])).code).toBe(2);
  });
});

describe('nixfleet mint-operator-cert', () => {
  let pki: TestPki;
  let cp: FakeCp;
  beforeAll(async () => {
    pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-opcert-')));
    const s = midRollout();
    cp = await startFakeCp(pki, {
      '/v1/hosts': { json: s.hosts },
      '/v1/rollouts': { json: s.rollouts },
      '/v1/channels/stable': { json: s.channel },
    });
  });
  afterAll(async () => cp.close());

  it('mints an ed25519 clientAuth certificate the CP accepts over TLS 1.3', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nixfleet-opcert-out-'));
    const cert = join(out, 'op.pem');
    const key = join(out, 'op.key');
    const r = await runOp(
      [
        'mint-operator-cert',
        '--ca-cert',
        pki.caCert,
        '--ca-key',
        pki.caKey,
        '--name',
        'alice',
        '--out-cert',
        cert,
        '--out-key',
        key,
        '--validity',
        '2h',
      ],
      { now: new Date() },
    );
    expect(r.stderr).toContain('CN=operator:alice');
    expect(r.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const c = new x509.X509Certificate(readFileSync(cert, 'utf8'));
    expect(c.subject).toBe('CN=operator:alice');
    expect(c.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(c.notAfter.getTime() - c.notBefore.getTime()).toBe(2 * 3_600_000);
    const status = await runOp([
      'status',
      '--cp-url',
      cp.url,
      '--ca-cert',
      pki.caCert,
      '--client-cert',
      cert,
      '--client-key',
      key,
    ]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const again = await runOp([
      'mint-operator-cert',
      '--ca-cert',
      pki.caCert,
      '--ca-key',
      pki.caKey,
      '--name',
      'alice',
      '--out-cert',
      cert,
      '--out-key',
      key,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('pass --force');
  });

  it('refuses a CA key that is not the CA certificate key, and bad names', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nixfleet-opcert-out-'));
    const args = (caKey: string, name: string): string[] => [
      'mint-operator-cert',
      '--ca-cert',
      pki.caCert,
      '--ca-key',
      caKey,
      '--name',
      name,
      '--out-cert',
      join(out, `${name.length}.pem`),
      '--out-key',
      join(out, `${name.length}.key`),
    ];
    const wrong = await runOp(args(pki.serverKey, 'bob'));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the CA key does not belong to the CA certificate');
    const bad = await runOp(args(pki.caKey, 'bob:admin'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--name "bob:admin"');
  });
});
