// Transport, identity and bad input over real HTTP/2 + TLS 1.3 with client
// certificates: every refusal has a typed JSON error body and none hurts the
// database.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './kit/client.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NOW = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const RELEASE = {
  hosts: hostsIn([1, 2]),
  soakMinutes: [0, 0],
  ciCommit: COMMIT,
  signedAt: NOW,
};
let t: TestCp;
const errorOf = (r: { json: <T>() => T }) =>
  r.json<{ error: { code: string; details: Record<string, unknown> } }>().error;

beforeAll(async () => {
  t = await startTestCp({
    release: {
      ...RELEASE,
      revocations: [
        {
          hostname: 'h-002',
          notBefore: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          reason: 'stolen',
          revokedBy: 'ops',
        },
      ],
    },
    flags: { bodyLimit: '4096' },
  });
});
afterAll(async () => {
  await t.close();
});

describe('transport and identity', () => {
  it('serves /healthz without a client certificate', async () => {
    await t.cp.tick('test');
    const c = await t.anonymous();
    const r = await c.request('/healthz', { noProtocol: true });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok' });
    expect(r.json()['last_tick_at']).not.toBeNull();
    c.close();
  });

  it('negotiates TLS 1.3 and refuses TLS 1.2', async () => {
    const c = await t.client('h-000');
    const sock = c.session.socket as unknown as { getProtocol(): string };
    expect(sock.getProtocol()).toBe('TLSv1.3');
    const s = http2.connect(`https://127.0.0.1:${t.port}`, {
      ca: t.pki.caPem,
      servername: 'localhost',
      maxVersion: 'TLSv1.2',
    });
    await expect(
      new Promise((resolve, reject) => {
        s.once('connect', resolve);
        s.once('error', reject);
      }),
    ).rejects.toThrow();
    s.destroy();
  });

  it('answers whoami with the certificate CN', async () => {
    const r = await (await t.client('h-000')).request('/v1/whoami');
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ cn: 'h-000', role: 'agent' });
  });

  it('refuses mTLS routes without a certificate (401)', async () => {
    const c = await t.anonymous();
    const r = await c.request('/v1/hosts');
    expect(r.status).toBe(401);
    expect(errorOf(r).code).toBe('CP_ERR_CLIENT_CERT_REQUIRED');
    c.close();
  });

  it('refuses a certificate from another CA (401)', async () => {
    const { makePki } = await import('./kit/pki.ts');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(t.dir, 'other-ca'));
    const other = await makePki(join(t.dir, 'other-ca'));
    const { cert, key } = await other.client('h-000');
    const c = await connect(t.port, { ca: t.pki.caPem, cert, key });
    const r = await c.request('/v1/whoami');
    expect(r.status).toBe(401);
    c.close();
  });

  it('refuses missing and foreign protocol headers (400)', async () => {
    const c = await t.client('operator:test');
    const missing = await c.request('/v1/hosts', { noProtocol: true });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('CP_ERR_PROTOCOL_MISSING');
    const two = await c.request('/v1/hosts', {
      noProtocol: true,
      headers: { 'x-nixfleet-protocol': '2' },
    });
    expect(two.status).toBe(400);
    expect(errorOf(two).code).toBe('CP_ERR_PROTOCOL_UNSUPPORTED');
    const minor = await c.request('/v1/hosts', {
      noProtocol: true,
      headers: { 'x-nixfleet-protocol': '1.3' },
    });
    expect(minor.status).toBe(200);
  });

  it('refuses a revoked certificate on every route (403)', async () => {
    const c = await t.client('h-002');
    for (const path of [
      '/v1/whoami',
      '/v1/agent/dispatch?wait=0',
      `/v1/rollouts/stable@${COMMIT}`,
    ]) {
      const r = await c.request(path);
      expect(r.status, path).toBe(403);
      expect(errorOf(r).code).toBe('CP_ERR_CERT_REVOKED');
    }
  });
});

describe('routing and bad input', () => {
  it('serves the manifest byte-for-byte, and the raw signature', async () => {
    const c = await t.client('h-000');
    const id = `stable@${COMMIT}`;
    const j = await c.request(`/v1/rollouts/${id}`);
    expect(j.status).toBe(200);
    expect(j.body.equals(readFileSync(join(t.releaseDir, 'rollouts', `${id}.json`)))).toBe(true);
    const s = await c.request(`/v1/rollouts/${id}`, {
      headers: { accept: 'application/octet-stream' },
    });
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('application/octet-stream');
    expect(s.body.equals(readFileSync(join(t.releaseDir, 'rollouts', `${id}.json.sig`)))).toBe(
      true,
    );
  });

  it('validates rollout ids and answers unknown ones 404', async () => {
    const c = await t.client('h-000');
    expect(errorOf(await c.request('/v1/rollouts/Stable@xyz')).code).toBe(
      'CP_ERR_INVALID_ROLLOUT_ID',
    );
    const unknown = await c.request('/v1/rollouts/stable@abcdef');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown).code).toBe('CP_ERR_UNKNOWN_ROLLOUT');
  });

  it('refuses path traversal', async () => {
    const c = await t.client('h-000');
    for (const p of [
      '/v1/rollouts/../../etc/passwd',
      '/v1/rollouts/..%2f..%2fetc',
      '/v1//hosts',
      '/v1/rollouts/a\\b',
    ]) {
      const r = await c.request(p);
      expect(r.status, p).toBe(400);
      expect(errorOf(r).code).toBe('CP_ERR_BAD_PATH');
    }
  });

  it('answers unknown routes 404 and wrong methods 405', async () => {
    const c = await t.client('h-000');
    expect((await c.request('/v1/nope')).status).toBe(404);
    const r = await c.request('/v1/hosts', { method: 'POST', body: {} });
    expect(r.status).toBe(405);
    expect(errorOf(r).code).toBe('CP_ERR_METHOD_NOT_ALLOWED');
  });

  const hb = (host: string) => ({
    hostname: host,
    agent_version: '0.2.0',
    current_closure: null,
    uptime_secs: 10,
    last_event_seq_by_rollout: {},
    at: NOW,
  });

  it('checks content type, JSON, size and schema', async () => {
    const c = await t.client('h-000');
    const ct = await c.request('/v1/agent/heartbeat', {
      body: JSON.stringify(hb('h-000')),
      headers: { 'content-type': 'text/plain' },
    });
    expect(ct.status).toBe(415);
    expect(errorOf(ct).code).toBe('CP_ERR_UNSUPPORTED_MEDIA_TYPE');
    const bad = await c.request('/v1/agent/heartbeat', { body: '{"hostname": ' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('CP_ERR_MALFORMED_JSON');
    const big = await c.request('/v1/agent/heartbeat', {
      body: JSON.stringify({ ...hb('h-000'), pad: 'x'.repeat(10_000) }),
    });
    expect(big.status).toBe(413);
    expect(errorOf(big).code).toBe('CP_ERR_BODY_TOO_LARGE');
    const typed = await c.request('/v1/agent/heartbeat', {
      body: { ...hb('h-000'), uptime_secs: 'long' },
    });
    expect(typed.status).toBe(400);
    const e = errorOf(typed);
    expect(e.code).toBe('CP_ERR_SCHEMA_INVALID');
    expect(JSON.stringify(e.details['issues'])).toContain('uptime_secs');
  });

  it('ignores unknown fields', async () => {
    const c = await t.client('h-000');
    const r = await c.request('/v1/agent/heartbeat', {
      body: { ...hb('h-000'), future_field: { x: 1 } },
    });
    expect(r.status).toBe(200);
  });

  it('refuses a body naming another host (403)', async () => {
    const c = await t.client('h-000');
    const r = await c.request('/v1/agent/heartbeat', { body: hb('h-001') });
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('CP_ERR_CN_MISMATCH');
    const d = await c.request('/v1/agent/dispatch?hostname=h-001&wait=0');
    expect(d.status).toBe(403);
  });

  it('keeps the database sound after all of this', async () => {
    expect(await t.cp.runtime.storage.integrityCheck()).toBe('ok');
  });
});

describe('a withdrawn revocation', () => {
  it('stops refusing its host within a second, with no other request passing the edge', async () => {
    const c = await t.client('h-002');
    expect(errorOf(await c.request('/v1/whoami')).code).toBe('CP_ERR_CERT_REVOKED');
    // Signed a second later than the release that revoked (a sidecar must be newer).
    const later = new Date(Date.parse(NOW) + 1_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await t.publish({ ...RELEASE, signedAt: later, revocations: [] });
    expect(t.cp.runtime.state.revocations.size).toBe(0);
    // Only h-002 calls: the edge must learn of the withdrawal without a
    // request of another host reaching the main thread.
    let status = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 3_000) {
      status = (await c.request('/v1/whoami')).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
