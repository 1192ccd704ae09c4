// Enrollment over real TLS: a bootstrap token signed by the org root key,
// a CSR signed by the host ed25519 key, the signed nonce allowlist and single
// use; the issued certificate then works for mTLS. Every refusal is typed.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintRaw, formatOpenSshPublicKey } from '../../ts/trust/index.ts';
import { MAX_TOKEN_REISSUES } from '../../ts/cp/runtime/enroll-tokens.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { connect } from './kit/client.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { csrFor, hostKey, type HostKey } from './kit/pki.ts';
import { mintToken } from './kit/release.ts';

const COMMIT = 'c1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
let t: TestCp;
let key: HostKey;
const nonce = randomBytes(16).toString('hex');
const nonce2 = randomBytes(16).toString('hex');
const nonce3 = randomBytes(16).toString('hex');
const nonce4 = randomBytes(16).toString('hex');
const issuance = (): Record<string, unknown>[] =>
  readFileSync(join(t.dir, 'state', 'issuance.log'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const later = (ms: number) => rfc3339(Date.now() + ms);
const code = (r: { json: <T>() => T }) => r.json<{ error: { code: string } }>().error.code;

beforeAll(async () => {
  key = await hostKey();
  t = await startTestCp({
    release: {
      hosts: [
        { name: 'web-01', channel: 'stable', wave: 0, pubkey: formatOpenSshPublicKey(key.raw) },
        { name: 'web-02', channel: 'stable', wave: 0 },
        { name: 'web-03', channel: 'stable', wave: 0 },
        { name: 'web-04', channel: 'stable', wave: 0 },
      ],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      nonces: [
        { nonce, hostname: 'web-01', expiresAt: later(3_600_000), mintedAt: null, mintedBy: null },
        {
          nonce: nonce2,
          hostname: 'web-02',
          expiresAt: later(-1000),
          mintedAt: null,
          mintedBy: null,
        },
        {
          nonce: nonce3,
          hostname: 'web-03',
          expiresAt: later(3_600_000),
          mintedAt: null,
          mintedBy: null,
        },
        {
          nonce: nonce4,
          hostname: 'web-04',
          expiresAt: later(3_600_000),
          mintedAt: null,
          mintedBy: null,
        },
      ],
    },
  });
});
afterAll(async () => {
  await t.close();
});

function token(overrides: Record<string, unknown> = {}, k: HostKey = key) {
  return mintToken(t.trust, {
    hostname: 'web-01',
    expectedPubkeyFingerprint: fingerprintRaw(k.raw),
    issuedAt: rfc3339(),
    expiresAt: later(3_600_000),
    nonce,
    ...overrides,
  } as never);
}

describe('enrollment', () => {
  it('refuses a forged token (401)', async () => {
    const c = await t.anonymous();
    const good = token();
    const forged = { ...good, claims: { ...good.claims, hostname: 'web-02' } };
    const r = await c.request('/v1/enroll', {
      body: { token: forged, csrPem: await csrFor('web-02', key) },
    });
    expect(r.status).toBe(401);
    expect(code(r)).toBe('CP_ERR_TOKEN_INVALID');
    c.close();
  });

  it('refuses an expired token (401)', async () => {
    const c = await t.anonymous();
    const r = await c.request('/v1/enroll', {
      body: {
        token: token({ issuedAt: later(-7_200_000), expiresAt: later(-3_600_000) }),
        csrPem: await csrFor('web-01', key),
      },
    });
    expect(r.status).toBe(401);
    expect(code(r)).toBe('CP_ERR_TOKEN_EXPIRED');
    c.close();
  });

  it('refuses a CSR whose key is not the token fingerprint (403)', async () => {
    const c = await t.anonymous();
    const other = await hostKey();
    const r = await c.request('/v1/enroll', {
      body: { token: token(), csrPem: await csrFor('web-01', other) },
    });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('CP_ERR_TOKEN_CLAIM_MISMATCH');
    c.close();
  });

  it('refuses a malformed CSR (400) and a nonce outside the allowlist (403)', async () => {
    const c = await t.anonymous();
    const bad = await c.request('/v1/enroll', { body: { token: token(), csrPem: 'not a csr' } });
    expect(code(bad)).toBe('CP_ERR_CSR_INVALID');
    const r = await c.request('/v1/enroll', {
      body: {
        token: token({ nonce: randomBytes(16).toString('hex') }),
        csrPem: await csrFor('web-01', key),
      },
    });
    expect(r.status).toBe(403);
    expect(code(r)).toBe('CP_ERR_NONCE_NOT_ALLOWED');
    c.close();
  });

  it('issues a certificate for the host key, usable for mTLS, logged; a lost response is retried', async () => {
    let c = await t.anonymous();
    const body = { token: token(), csrPem: await csrFor('web-01', key) };
    const r = await c.request('/v1/enroll', { body });
    expect(r.status).toBe(200);
    const { notAfter } = r.json<{ certPem: string; notAfter: string }>();
    expect(Date.parse(notAfter)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(issuance().at(-1)).toMatchObject({ hostname: 'web-01', via: 'enroll', nonce });
    // The response is lost (the agent never saw `r`): the same key retries with
    // the same token and gets a certificate again, logged as a re-issue.
    const retry = await c.request('/v1/enroll', { body });
    expect(retry.status).toBe(200);
    expect(issuance().at(-1)).toMatchObject({
      hostname: 'web-01',
      via: 'enroll-reissue',
      nonce,
      issue: 2,
      fingerprint: fingerprintRaw(key.raw),
    });
    // So is a CP crash after the commit: the burned token and its key survive a restart.
    c.close();
    await t.restart();
    c = await t.anonymous();
    const afterCrash = await c.request('/v1/enroll', {
      body: { token: token(), csrPem: await csrFor('web-01', key) },
    });
    expect(afterCrash.status).toBe(200);
    expect(issuance().at(-1)).toMatchObject({ via: 'enroll-reissue', issue: 3 });
    const serials = issuance()
      .filter((e) => e['nonce'] === nonce)
      .map((e) => e['serial']);
    expect(new Set(serials).size).toBe(3);
    const count = issuance().length;
    // Another key holding a copy of the token gets nothing: the token names the key.
    const thief = await hostKey();
    const stolen = await c.request('/v1/enroll', {
      body: { token: token(), csrPem: await csrFor('web-01', thief) },
    });
    expect(stolen.status).toBe(403);
    expect(code(stolen)).toBe('CP_ERR_TOKEN_CLAIM_MISMATCH');
    expect(issuance()).toHaveLength(count);
    const agent = await connect(t.port, {
      ca: t.pki.caPem,
      cert: afterCrash.json<{ certPem: string }>().certPem,
      key: key.keyPem,
    });
    const who = await agent.request('/v1/whoami');
    expect(who.json()).toMatchObject({ cn: 'web-01', role: 'agent' });
    // Once the host heartbeated with a certificate nothing was lost: a replay is 409.
    const hb = await new SimAgent('web-01', agent).heartbeat();
    expect(hb.status).toBe(200);
    const replay = await c.request('/v1/enroll', { body });
    expect(replay.status).toBe(409);
    expect(code(replay)).toBe('CP_ERR_TOKEN_REPLAYED');
    expect(replay.json<{ error: { details: { reason: string } } }>().error.details.reason).toBe(
      'certificate-in-use',
    );
    expect(issuance()).toHaveLength(count);
    // Renewal: same key, new certificate; a different key is refused.
    const renewed = await agent.request('/v1/agent/renew', {
      body: { csrPem: await csrFor('web-01', key) },
    });
    expect(renewed.status).toBe(200);
    const otherKey = await agent.request('/v1/agent/renew', {
      body: { csrPem: await csrFor('web-01', await hostKey()) },
    });
    expect(code(otherKey)).toBe('CP_ERR_KEY_MISMATCH');
    const otherCn = await agent.request('/v1/agent/renew', {
      body: { csrPem: await csrFor('web-02', key) },
    });
    expect(code(otherCn)).toBe('CP_ERR_CN_MISMATCH');
    agent.close();
    c.close();
  });

  it('stops re-issuing after the limit, and once the token expired', async () => {
    const c = await t.anonymous();
    const k3 = await hostKey();
    const body = {
      token: token({ hostname: 'web-03', nonce: nonce3 }, k3),
      csrPem: await csrFor('web-03', k3),
    };
    for (let i = 0; i <= MAX_TOKEN_REISSUES; i++) {
      expect((await c.request('/v1/enroll', { body })).status).toBe(200);
    }
    const over = await c.request('/v1/enroll', { body });
    expect(over.status).toBe(409);
    expect(over.json<{ error: { details: { reason: string } } }>().error.details.reason).toBe(
      'reissue-limit',
    );
    const mine = issuance().filter((e) => e['nonce'] === nonce3);
    expect(mine.map((e) => e['via'])).toEqual([
      'enroll',
      ...Array<string>(MAX_TOKEN_REISSUES).fill('enroll-reissue'),
    ]);
    // A token that expires: used, its response lost, retried after expiry → typed 401.
    const k4 = await hostKey();
    const short = {
      token: token(
        { hostname: 'web-04', nonce: nonce4, expiresAt: rfc3339(Date.now() + 1500) },
        k4,
      ),
      csrPem: await csrFor('web-04', k4),
    };
    expect((await c.request('/v1/enroll', { body: short })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2000));
    const late = await c.request('/v1/enroll', { body: short });
    expect(late.status).toBe(401);
    expect(code(late)).toBe('CP_ERR_TOKEN_EXPIRED');
    expect(issuance().filter((e) => e['nonce'] === nonce4)).toHaveLength(1);
    c.close();
  });

  it('refuses an allowlist entry that expired although the token has not', async () => {
    const c = await t.anonymous();
    const k2 = await hostKey();
    const r = await c.request('/v1/enroll', {
      body: {
        token: token({ hostname: 'web-02', nonce: nonce2 }, k2),
        csrPem: await csrFor('web-02', k2),
      },
    });
    expect(r.status).toBe(401);
    expect(code(r)).toBe('CP_ERR_TOKEN_EXPIRED');
    c.close();
  });

  it('refuses bootstrap reports once the token was used (409); other kinds are 400', async () => {
    const c = await t.anonymous();
    const report = {
      token: token(),
      agentVersion: '0.2.0',
      occurredAt: rfc3339(),
      event: { kind: 'TrustError', code: 'X', message: 'clock skew' },
    };
    // web-01 enrolled with this token above: a report can only be noise now
    // (tests/cp/limits-body.test.ts covers the accepted case).
    const r = await c.request('/v1/agent/bootstrap-report', { body: report });
    expect(r.status).toBe(409);
    expect(r.json<{ error: { code: string; details: { reason: string } } }>().error).toMatchObject({
      code: 'CP_ERR_TOKEN_REPLAYED',
      details: { reason: 'token-used' },
    });
    const bad = await c.request('/v1/agent/bootstrap-report', {
      body: { ...report, event: { ...report.event, kind: 'Converged' } },
    });
    expect(bad.status).toBe(400);
    const rows = await t.cp.runtime.storage.allEvents({ streams: ['bootstrap'] });
    expect(rows).toHaveLength(0);
    c.close();
  });
});
