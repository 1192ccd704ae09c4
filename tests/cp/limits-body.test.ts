// Unauthenticated and authenticated disk growth (issue #20, finding 5)
// against a real CP over TLS: bootstrap reports are refused once their token
// was used or their host heard from and are budgeted per claimed host;
// bodies are bounded per contract; unknown properties never reach the
// database; a host's events are budgeted (typed 429 with Retry-After). The
// database barely grows under 100 oversize bodies, and a legitimate agent's
// heartbeats keep being answered (latencies printed).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintRaw, formatOpenSshPublicKey } from '../../ts/trust/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { heartbeatProbe } from './kit/abuse.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { csrFor, hostKey, type HostKey } from './kit/pki.ts';
import { mintToken } from './kit/release.ts';

const COMMIT = 'd7b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOSTS = ['h-000', 'h-001', 'h-002', 'h-003', 'new-01', 'new-02'];
const nonces = new Map(HOSTS.map((h) => [h, randomBytes(16).toString('hex')]));
const keys = new Map<string, HostKey>();
let t: TestCp;
const later = (ms: number): string => rfc3339(Date.now() + ms);
const errorOf = (r: { json: <T>() => T }) =>
  r.json<{ error: { code: string; details: Record<string, unknown> } }>().error;
const dbBytes = (): number =>
  ['', '-wal'].reduce((n, s) => {
    try {
      return n + statSync(`${t.dbPath}${s}`).size;
    } catch {
      return n;
    }
  }, 0);

beforeAll(async () => {
  for (const h of HOSTS) keys.set(h, await hostKey());
  t = await startTestCp({
    release: {
      hosts: HOSTS.map((name) => ({
        name,
        channel: 'stable',
        wave: 0,
        pubkey: formatOpenSshPublicKey((keys.get(name) as HostKey).raw),
      })),
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      nonces: HOSTS.map((hostname) => ({
        nonce: nonces.get(hostname) as string,
        hostname,
        expiresAt: later(3_600_000),
        mintedAt: null,
        mintedBy: null,
      })),
    },
    flags: { eventRate: '5', eventBurst: '10', bootstrapReportsPerHour: '3' },
  });
});
afterAll(async () => {
  await t.close();
});

function token(hostname: string) {
  return mintToken(t.trust, {
    hostname,
    expectedPubkeyFingerprint: fingerprintRaw((keys.get(hostname) as HostKey).raw),
    issuedAt: rfc3339(),
    expiresAt: later(3_600_000),
    nonce: nonces.get(hostname),
  } as never);
}

const report = (hostname: string, extra: Record<string, unknown> = {}) => ({
  token: token(hostname),
  agentVersion: '0.2.0',
  occurredAt: rfc3339(),
  event: { kind: 'TrustError', code: 'AGENT_ERR_TRUST_FILE', message: 'bad trust.json' },
  ...extra,
});

describe('unauthenticated and authenticated disk growth', () => {
  it('bounds bootstrap reports: size, unknown fields, per-host budget', async () => {
    const probe = await heartbeatProbe(t, 'h-003');
    let c = await t.anonymous();
    const before = dbBytes();
    const big = 'x'.repeat(200_000);
    const outcomes: (number | 'reset')[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        const r = await c.request('/v1/agent/bootstrap-report', {
          body: report('new-01', { big }),
        });
        outcomes.push(r.status);
      } catch {
        // HTTP/2 itself may end a session that keeps sending cancelled
        // bodies (ENHANCE_YOUR_CALM): the attacker reconnects.
        outcomes.push('reset');
        c.close();
        c = await t.anonymous();
      }
    }
    expect(outcomes.filter((s) => s !== 413 && s !== 'reset')).toEqual([]);
    expect(outcomes.filter((s) => s === 413).length).toBeGreaterThan(0);
    const grown = dbBytes() - before;
    console.log(`100 bootstrap reports of 200 kB: database grew ${grown} bytes`);
    expect(grown).toBeLessThan(256 * 1024);
    // Within budget: accepted, stored without the property nobody declared.
    const ok = await c.request('/v1/agent/bootstrap-report', {
      body: report('new-01', { junk: 'y'.repeat(2000) }),
    });
    expect(ok.status).toBe(204);
    const rows = await t.cp.runtime.storage.allEvents({ streams: ['bootstrap'] });
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0]?.body)).not.toContain('junk');
    for (let i = 0; i < 2; i++) {
      expect(
        (await c.request('/v1/agent/bootstrap-report', { body: report('new-01') })).status,
      ).toBe(204);
    }
    const over = await c.request('/v1/agent/bootstrap-report', { body: report('new-01') });
    expect(over.status).toBe(429);
    expect(errorOf(over).code).toBe('CP_ERR_RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another claimed host has its own budget.
    expect((await c.request('/v1/agent/bootstrap-report', { body: report('new-02') })).status).toBe(
      204,
    );
    c.close();
    const { latencies, failures } = await probe.stop('bootstrap-report flood');
    expect(failures).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });

  it('refuses bootstrap reports once the token was used or the host heard from', async () => {
    const c = await t.anonymous();
    const enrolled = await c.request('/v1/enroll', {
      body: { token: token('h-002'), csrPem: await csrFor('h-002', keys.get('h-002') as HostKey) },
    });
    expect(enrolled.status).toBe(200);
    const used = await c.request('/v1/agent/bootstrap-report', { body: report('h-002') });
    expect(used.status).toBe(409);
    expect(errorOf(used)).toMatchObject({
      code: 'CP_ERR_TOKEN_REPLAYED',
      details: { reason: 'token-used' },
    });
    expect((await new SimAgent('h-001', await t.client('h-001')).heartbeat()).status).toBe(200);
    const seen = await c.request('/v1/agent/bootstrap-report', { body: report('h-001') });
    expect(seen.status).toBe(409);
    expect(errorOf(seen).details['reason']).toBe('host-enrolled');
    c.close();
  });

  it('bounds agent events: size, unknown fields, per-host budget', async () => {
    const a = new SimAgent('h-000', await t.client('h-000'));
    const parked = a.poll(10);
    expect((await a.heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    expect(await parked).toMatchObject({ rollout_id: RID });
    const probe = await heartbeatProbe(t, 'h-003');
    const ack = {
      kind: 'DispatchAck',
      rollout_id: RID,
      hostname: 'h-000',
      seq: 2,
      received_at: rfc3339(),
      current_closure_at_dispatch: null,
    };
    const before = dbBytes();
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await a.client.request('/v1/agent/events', {
        body: { ...ack, extra: 'z'.repeat(200_000) },
      });
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s !== 413)).toEqual([]);
    const grown = dbBytes() - before;
    console.log(`100 events with a 200 kB extra property: database grew ${grown} bytes`);
    expect(grown).toBeLessThan(256 * 1024);
    const stored = await a.client.request('/v1/agent/events', {
      body: { ...ack, extra: 'q'.repeat(2000) },
    });
    expect(stored.status).toBe(204);
    const rows = await t.cp.runtime.storage.allEvents();
    expect(rows.some((r) => r.hostname === 'h-000' && r.kind === 'RemoteDispatchAck')).toBe(true);
    expect(rows.some((r) => JSON.stringify(r.body).includes('qqqq'))).toBe(false);
    // The budget (burst 10, 5/s), counted since the host's first event.
    const flood: { status: number; retry: string | undefined; code?: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await a.client.request('/v1/agent/events', { body: ack });
      flood.push({
        status: r.status,
        retry: r.headers['retry-after'] as string | undefined,
        ...(r.status === 429 ? { code: errorOf(r).code } : {}),
      });
    }
    const limited = flood.filter((f) => f.status === 429);
    console.log(
      `30 events in a burst: ${flood.length - limited.length} accepted, ${limited.length} refused 429`,
    );
    expect(limited.length).toBeGreaterThanOrEqual(15);
    expect(limited.every((f) => f.code === 'CP_ERR_RATE_LIMITED' && Number(f.retry) >= 1)).toBe(
      true,
    );
    const { latencies, failures } = await probe.stop('event floods');
    expect(failures).toEqual([]);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });
});
