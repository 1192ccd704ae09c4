// The notifications that do not come from rollout events, through a real CP
// to the webhook stand-in: a host that enrolls (once: the re-issue for a
// lost response is not a second enrollment), an agent's TrustError
// bootstrap report (a trust alert), and a wave held past
// --notify-held-after-mins (once per wave, however many ticks see it).
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract } from '../../ts/contracts/index.ts';
import { fingerprintRaw, formatOpenSshPublicKey } from '../../ts/trust/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { startHttpSinks, type HttpSinks } from './kit/notify-sinks.ts';
import { csrFor, hostKey, type HostKey } from './kit/pki.ts';
import { mintToken } from './kit/release.ts';

const COMMIT = 'd1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const SECRET = 'hook-secret';
const nonce = randomBytes(16).toString('hex');
const nonce2 = randomBytes(16).toString('hex');
const later = (ms: number): string => rfc3339(Date.now() + ms);
const secrets = mkdtempSync(join(tmpdir(), 'nixfleet-notify-src-'));
let t: TestCp;
let http: HttpSinks;
let key: HostKey;

/** Notifications the webhook received and acknowledged, signature checked. */
function delivered(): Record<string, unknown>[] {
  return http.received
    .filter((r) => r.path === '/hook' && r.status === 200)
    .map((r) => {
      const ts = String(r.headers['x-nixfleet-timestamp']);
      const mac = createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex');
      expect(r.headers['x-nixfleet-signature']).toBe(`sha256=${mac}`);
      const n = JSON.parse(r.body) as Record<string, unknown>;
      expect(validateContract('notification', n).ok).toBe(true);
      return n;
    });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  key = await hostKey();
  http = await startHttpSinks('ok');
  writeFileSync(join(secrets, 'hook'), SECRET);
  t = await startTestCp({
    release: {
      hosts: [
        { name: 'web-01', channel: 'stable', wave: 0, pubkey: formatOpenSshPublicKey(key.raw) },
        { name: 'web-02', channel: 'stable', wave: 0 },
      ],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      nonces: [
        { nonce, hostname: 'web-01', expiresAt: later(3_600_000), mintedAt: null, mintedBy: null },
        {
          nonce: nonce2,
          hostname: 'web-02',
          expiresAt: later(3_600_000),
          mintedAt: null,
          mintedBy: null,
        },
      ],
    },
    flags: {
      notifyWebhookUrl: `http://127.0.0.1:${http.port}/hook`,
      notifyWebhookSecretFile: join(secrets, 'hook'),
      // 0.5 s: the test's ticks see the wave held.
      notifyHeldAfterMins: '500ms',
    },
  });
});
afterAll(async () => {
  await t.close();
  await http.close();
  rmSync(secrets, { recursive: true, force: true });
});

describe('notifications from enrollment, bootstrap reports and ticks', () => {
  it('an enrolled host is announced once; the re-issue of a lost response is not', async () => {
    const c = await t.anonymous();
    const token = mintToken(t.trust, {
      hostname: 'web-01',
      expectedPubkeyFingerprint: fingerprintRaw(key.raw),
      issuedAt: rfc3339(),
      expiresAt: later(3_600_000),
      nonce,
    } as never);
    const body = { token, csrPem: await csrFor('web-01', key) };
    expect((await c.request('/v1/enroll', { body })).status).toBe(200);
    expect((await c.request('/v1/enroll', { body })).status).toBe(200);
    c.close();
    await until(() => delivered().some((n) => n['kind'] === 'host_enrolled'), 'host_enrolled');
    await new Promise((r) => setTimeout(r, 300));
    const enrolled = delivered().filter((n) => n['kind'] === 'host_enrolled');
    expect(enrolled).toHaveLength(1);
    expect(enrolled[0]).toMatchObject({ hostname: 'web-01', channel: null, severity: 'info' });
  });

  it("an agent's TrustError report is a critical trust alert", async () => {
    const c = await t.anonymous();
    const other = await hostKey();
    const report = {
      token: mintToken(t.trust, {
        hostname: 'web-02',
        expectedPubkeyFingerprint: fingerprintRaw(other.raw),
        issuedAt: rfc3339(),
        expiresAt: later(3_600_000),
        nonce: nonce2,
      } as never),
      agentVersion: '0.2.0',
      occurredAt: rfc3339(),
      event: {
        kind: 'TrustError',
        code: 'AGENT_ERR_TRUST_FILE',
        message: 'unknown schemaVersion 2',
      },
    };
    const r = await c.request('/v1/agent/bootstrap-report', { body: report });
    c.close();
    expect(r.status).toBeLessThan(300);
    await until(() => delivered().some((n) => n['kind'] === 'trust_alert'), 'trust_alert');
    expect(delivered().find((n) => n['kind'] === 'trust_alert')).toMatchObject({
      hostname: 'web-02',
      severity: 'critical',
      details: { code: 'AGENT_ERR_TRUST_FILE' },
    });
  });

  it('a wave not promoted for longer than the threshold is held, notified once', async () => {
    const a = new SimAgent('web-01', await t.client('web-01'));
    await a.heartbeat();
    await t.cp.tick('test');
    await new Promise((r) => setTimeout(r, 700));
    for (let i = 0; i < 4; i++) {
      await t.cp.tick('test');
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => delivered().some((n) => n['kind'] === 'rollout_held'), 'rollout_held');
    await new Promise((r) => setTimeout(r, 300));
    const held = delivered().filter((n) => n['kind'] === 'rollout_held');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({
      id: `rollout_held:stable@${COMMIT}:0`,
      channel: 'stable',
      severity: 'warning',
    });
  });
});
