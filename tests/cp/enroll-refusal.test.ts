// A refused enrollment reaches the operator. The CP keeps the latest refusal
// per claimed hostname and shows it on the host's row of GET /v1/hosts (what
// `nixfleet status` renders), logs it with the claimed hostname, and forgets
// it once the host enrolls. Real CP over TLS, real enroll requests, the real
// `nixfleet status`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../ts/cp/log.ts';
import { fingerprintRaw, formatOpenSshPublicKey } from '../../ts/trust/index.ts';
import { runOp } from '../cli/support/run.ts';
import { rfc3339 } from './kit/agent-sim.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { csrFor, hostKey, type HostKey } from './kit/pki.ts';
import { mintToken } from './kit/release.ts';

const COMMIT = 'd1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const allowed = randomBytes(16).toString('hex');
const later = (ms: number): string => rfc3339(Date.now() + ms);
let t: TestCp;
let key: HostKey;
const logLines: Record<string, unknown>[] = [];

interface Row {
  hostname: string;
  lastSeenAt: string | null;
  enrollRefusal?: {
    code: string;
    message: string;
    at: string;
    firstAt: string;
    count: number;
  } | null;
}

async function rowOf(host: string): Promise<Row | undefined> {
  const op = await t.client('operator:test');
  const r = await op.request('/v1/hosts');
  expect(r.status).toBe(200);
  return r.json<{ hosts: Row[] }>().hosts.find((h) => h.hostname === host);
}

async function enroll(
  nonce: string,
  k: HostKey = key,
  expiresAt = later(3_600_000),
): Promise<{ status: number; code: string }> {
  const c = await t.anonymous();
  try {
    const r = await c.request('/v1/enroll', {
      body: {
        token: mintToken(t.trust, {
          hostname: 'web-01',
          expectedPubkeyFingerprint: fingerprintRaw(k.raw),
          issuedAt: rfc3339(Date.now() - 7_200_000),
          expiresAt,
          nonce,
        } as never),
        csrPem: await csrFor('web-01', k),
      },
    });
    return {
      status: r.status,
      code: r.status === 200 ? '' : r.json<{ error: { code: string } }>().error.code,
    };
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  key = await hostKey();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) logLines.push(JSON.parse(l));
      done();
    },
  });
  t = await startTestCp({
    log: createLogger({ level: 'info', destination: sink as never }),
    release: {
      hosts: [
        { name: 'web-01', channel: 'stable', wave: 0, pubkey: formatOpenSshPublicKey(key.raw) },
      ],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      nonces: [
        {
          nonce: allowed,
          hostname: 'web-01',
          expiresAt: later(3_600_000),
          mintedAt: null,
          mintedBy: null,
        },
      ],
    },
  });
});
afterAll(async () => {
  await t?.close();
});

describe('refused enrollments', () => {
  it('a nonce outside the allowlist shows on the host row and in a log line naming the host', async () => {
    expect((await rowOf('web-01'))?.enrollRefusal ?? null).toBeNull();
    const stray = randomBytes(16).toString('hex');
    expect(await enroll(stray)).toEqual({ status: 403, code: 'CP_ERR_NONCE_NOT_ALLOWED' });
    expect(await enroll(stray)).toEqual({ status: 403, code: 'CP_ERR_NONCE_NOT_ALLOWED' });
    const row = await rowOf('web-01');
    expect(row?.lastSeenAt).toBeNull();
    expect(row?.enrollRefusal).toMatchObject({ code: 'CP_ERR_NONCE_NOT_ALLOWED', count: 2 });
    const logged = logLines.filter((l) => l['msg'] === 'enrollment refused');
    // Rate-limited: the second refusal within the minute is counted, not logged.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ host: 'web-01', code: 'CP_ERR_NONCE_NOT_ALLOWED' });
  });

  it('`nixfleet status` shows it on the never-seen host', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nixfleet-refusal-op-'));
    const [cert, opKey] = [join(out, 'op.pem'), join(out, 'op.key')];
    const minted = await runOp(
      [
        'mint-operator-cert',
        ...['--ca-cert', t.pki.caCertFile, '--ca-key', t.pki.caKeyFile, '--name', 'alice'],
        ...['--out-cert', cert, '--out-key', opKey],
      ],
      { now: new Date() },
    );
    expect(minted.code, minted.stderr).toBe(0);
    const r = await runOp(
      [
        'status',
        ...['--cp-url', `https://127.0.0.1:${t.port}`, '--ca-cert', t.pki.caCertFile],
        ...['--client-cert', cert, '--client-key', opKey],
      ],
      { now: new Date() },
    );
    expect(r.stdout, r.stderr).toMatch(
      /web-01\s+! stale\s+enroll refused: CP_ERR_NONCE_NOT_ALLOWED \d+s ago/,
    );
    rmSync(out, { recursive: true, force: true });
  });

  it('an expired token replaces it with the latest code, counted', async () => {
    expect(await enroll(allowed, key, later(-60_000))).toEqual({
      status: 401,
      code: 'CP_ERR_TOKEN_EXPIRED',
    });
    expect((await rowOf('web-01'))?.enrollRefusal).toMatchObject({
      code: 'CP_ERR_TOKEN_EXPIRED',
      count: 3,
    });
  });

  it('a forged token is logged but does not touch the host row', async () => {
    const c = await t.anonymous();
    const good = mintToken(t.trust, {
      hostname: 'web-01',
      expectedPubkeyFingerprint: fingerprintRaw(key.raw),
      issuedAt: rfc3339(),
      expiresAt: later(3_600_000),
      nonce: allowed,
    } as never);
    const forged = { ...good, claims: { ...good.claims, nonce: 'f'.repeat(32) } };
    const r = await c.request('/v1/enroll', {
      body: { token: forged, csrPem: await csrFor('web-01', key) },
    });
    c.close();
    expect(r.status).toBe(401);
    expect((await rowOf('web-01'))?.enrollRefusal).toMatchObject({
      code: 'CP_ERR_TOKEN_EXPIRED',
      count: 3,
    });
  });

  it('the host enrolling clears it', async () => {
    expect(await enroll(allowed)).toEqual({ status: 200, code: '' });
    expect((await rowOf('web-01'))?.enrollRefusal ?? null).toBeNull();
  });
});
