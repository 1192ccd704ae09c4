// Notifications end to end (docs/control-plane.md "Notifications"): a real
// CP drives a two-wave rollout in which one host fails and rolls back, and
// delivers what happened to the real nats-server (read by a real NATS
// subscriber), to the stand-in of the Matrix send route and to a webhook,
// with retries carrying the same dedupe id. With every sink dead (a stopped
// nats-server, HTTP sinks that never answer) the same rollout takes the
// same decisions and its event ingest is not slower; a restart delivers
// what the dead sinks left in the outbox.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract } from '../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import {
  freePort,
  startHttpSinks,
  startNatsServer,
  subscribe,
  type HttpSinks,
  type NatsServer,
} from './kit/notify-sinks.ts';
import { closureOf } from './kit/release.ts';

const COMMIT = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const RID = `stable@${COMMIT}`;
const TOKEN = 'syt_matrix_test_token';
const SECRET = 'webhook-shared-secret';
const ROOM = '!ops:example.org';
const OLD = closureOf('any', 'old');

const release = {
  hosts: hostsIn([1, 2]),
  soakMinutes: [0, 0],
  ciCommit: COMMIT,
  signedAt: rfc3339(),
};

/** Flags of the three sinks; the secrets are written into the CP's directory. */
function sinkFlags(dir: string, natsUrl: string, httpPort: number): Record<string, string> {
  writeFileSync(join(dir, 'matrix-token'), `${TOKEN}\n`);
  writeFileSync(join(dir, 'webhook-secret'), `${SECRET}\n`);
  return {
    notifyNatsUrl: natsUrl,
    notifyMatrixUrl: `http://127.0.0.1:${httpPort}`,
    notifyMatrixRoom: ROOM,
    notifyMatrixTokenFile: join(dir, 'matrix-token'),
    notifyWebhookUrl: `http://127.0.0.1:${httpPort}/hook`,
    notifyWebhookSecretFile: join(dir, 'webhook-secret'),
    notifyTimeoutSecs: '2',
    notifyBackoffBaseMs: '50',
    notifyBackoffMaxSecs: '0.2',
  };
}

/** A CP whose sink flags name files in its own (not yet existing) directory. */
async function cpWithSinks(
  natsUrl: string,
  httpPort: number,
  extra: Record<string, string> = {},
): Promise<TestCp> {
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-notify-'));
  secretDirs.push(dir);
  return startTestCp({ release, flags: { ...sinkFlags(dir, natsUrl, httpPort), ...extra } });
}

const secretDirs: string[] = [];
afterAll(() => {
  for (const d of secretDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * The scripted rollout: wave 0 converges, wave 1 is promoted, h-001
 * converges, h-002 fails activation and rolls back. Returns the latency of
 * every event POST (ms).
 */
async function drive(t: TestCp): Promise<number[]> {
  const agents = new Map<string, SimAgent>();
  const agent = async (h: string): Promise<SimAgent> => {
    let a = agents.get(h);
    if (!a) agents.set(h, (a = new SimAgent(h, await t.client(h), OLD)));
    return a;
  };
  const latencies: number[] = [];
  const timed = async (p: () => Promise<{ status: number }>): Promise<void> => {
    const started = performance.now();
    const r = await p();
    latencies.push(performance.now() - started);
    expect(r.status).toBe(204);
  };
  for (const h of ['h-000', 'h-001', 'h-002']) await (await agent(h)).heartbeat();
  await t.cp.tick('test');
  const a0 = await agent('h-000');
  const d0 = await a0.poll(0);
  if (d0 === null) throw new Error('no dispatch for h-000');
  const started = performance.now();
  await a0.activate(d0);
  latencies.push((performance.now() - started) / 5);
  await t.cp.tick('test');
  await t.cp.tick('test');
  const a1 = await agent('h-001');
  const d1 = await a1.poll(0);
  if (d1 === null) throw new Error('no dispatch for h-001');
  await a1.activate(d1);
  const a2 = await agent('h-002');
  const d2 = await a2.poll(0);
  if (d2 === null) throw new Error('no dispatch for h-002');
  const now = rfc3339();
  await timed(() =>
    a2.send('DispatchAck', RID, { received_at: now, current_closure_at_dispatch: OLD }),
  );
  await timed(() =>
    a2.send('ActivationStarted', RID, { started_at: now, switch_method: 'sandbox' }),
  );
  await timed(() =>
    a2.send('ActivationFailed', RID, { failed_at: now, switch_exit_code: 1, stderr_tail: 'boom' }),
  );
  await timed(() =>
    a2.send('RollbackComplete', RID, {
      completed_at: now,
      reverted_to_closure: OLD,
      switch_exit_code: 0,
    }),
  );
  await t.cp.tick('test');
  // Heartbeats are ingest too, and give the latency comparison its samples.
  for (let i = 0; i < 10; i++) {
    for (const h of ['h-000', 'h-001', 'h-002']) {
      const a = await agent(h);
      const t0 = performance.now();
      expect((await a.heartbeat()).status).toBeLessThan(300);
      latencies.push(performance.now() - t0);
    }
  }
  return latencies;
}

/** The rollout's decisions: rollout-stream events without timestamps, and the final record. */
async function decisions(t: TestCp): Promise<unknown> {
  const rows = await t.cp.runtime.storage.allEvents({ streams: ['rollout'] });
  const events = rows.map((r) => {
    const e = (r.body as { event: Record<string, unknown> }).event;
    return [
      r.kind,
      e['hostname'] ?? null,
      e['from'] ?? e['fromWave'] ?? null,
      e['to'] ?? e['toWave'] ?? null,
    ];
  });
  const rec = t.cp.runtime.state.model.book.rollouts[RID];
  return {
    events,
    state: rec?.state,
    counts: rec?.counts,
    wave: rec?.currentWave,
    haltedBy: rec?.haltedBy,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const EXPECTED_KINDS = [
  'host_failed',
  'host_rolled_back',
  'rollout_halted',
  'rollout_opened',
  'rollout_reverted',
  'wave_promoted',
];

describe('notifications to NATS, Matrix and a webhook', () => {
  let nats: NatsServer;
  let http: HttpSinks;
  let t: TestCp;
  let sub: Awaited<ReturnType<typeof subscribe>>;

  beforeAll(async () => {
    nats = await startNatsServer();
    sub = await subscribe(nats.url, 'nixfleet.events.>');
    http = await startHttpSinks('fail-once');
    t = await cpWithSinks(nats.url, http.port);
  });
  afterAll(async () => {
    await t.close();
    await sub.close();
    await http.close();
    await nats.stop();
  });

  it('delivers every rollout and host event to each sink, retries with the same dedupe id', async () => {
    await drive(t);
    await until(() => sub.messages.length >= EXPECTED_KINDS.length, 10_000, 'NATS messages');
    const kinds = [...new Set(sub.messages.map((m) => m.json['kind'] as string))].sort();
    expect(kinds).toEqual(EXPECTED_KINDS);
    for (const m of sub.messages) {
      expect(validateContract('notification', m.json).ok).toBe(true);
      expect(m.subject).toBe(`nixfleet.events.stable.${m.json['kind'] as string}`);
    }
    const ids = new Set(sub.messages.map((m) => m.json['id'] as string));
    // Matrix: the stand-in fails the first PUT of each txnId; the retry
    // carries the same txnId, the same payload and the access token.
    await until(
      () => http.received.filter((r) => r.method === 'PUT' && r.status === 200).length >= ids.size,
      10_000,
      'Matrix deliveries',
    );
    const puts = http.received.filter((r) => r.method === 'PUT');
    const byTxn = new Map<string, string[]>();
    for (const r of puts) {
      const m = /\/send\/m\.room\.message\/([^/]+)$/.exec(r.path);
      const txn = decodeURIComponent(m?.[1] ?? '');
      expect(r.path).toContain(`/rooms/${encodeURIComponent(ROOM)}/`);
      expect(r.headers['authorization']).toBe(`Bearer ${TOKEN}`);
      const content = JSON.parse(r.body) as Record<string, unknown>;
      const n = content['org.nixfleet.notification'] as Record<string, unknown>;
      expect(n['id']).toBe(txn);
      expect(content['msgtype']).toBe('m.text');
      expect(content['body']).toContain(n['summary'] as string);
      byTxn.set(txn, [...(byTxn.get(txn) ?? []), r.body]);
    }
    expect([...byTxn.keys()].sort()).toEqual([...ids].sort());
    for (const bodies of byTxn.values()) {
      expect(bodies.length).toBe(2);
      expect(bodies[0]).toBe(bodies[1]);
    }
    // Webhook: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret.
    await until(
      () => http.received.filter((r) => r.path === '/hook' && r.status === 200).length >= ids.size,
      10_000,
      'webhook deliveries',
    );
    for (const r of http.received.filter((x) => x.path === '/hook')) {
      const ts = String(r.headers['x-nixfleet-timestamp']);
      const mac = createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex');
      expect(r.headers['x-nixfleet-signature']).toBe(`sha256=${mac}`);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['x-nixfleet-delivery']).toBe((JSON.parse(r.body) as { id: string }).id);
    }
    const health = t.cp.runtime.outbox?.health() ?? {};
    await until(
      () => Object.values(t.cp.runtime.outbox?.health() ?? {}).every((h) => h.pending === 0),
      5_000,
      'outbox drained',
    );
    expect(Object.keys(health).sort()).toEqual(['matrix', 'nats', 'webhook']);
  });
});

describe('dead sinks', () => {
  it('change no rollout decision and do not slow event ingest', async () => {
    // Two CPs drive the same rollout side by side, so both see the same
    // machine load: one without sinks, one with every sink dead —
    // nats-server stopped (nothing listens on its port), HTTP sinks that
    // accept and never answer.
    const plain = await startTestCp({ release });
    const natsPort = await freePort();
    const http = await startHttpSinks('hang');
    const dead = await cpWithSinks(`nats://127.0.0.1:${natsPort}`, http.port);
    try {
      const [plainLat, deadLat] = await Promise.all([drive(plain), drive(dead)]);
      expect(await decisions(dead)).toEqual(await decisions(plain));
      // Every sink was tried and is failing (so the sinks really were dead
      // while the rollout ran) …
      await until(
        () =>
          Object.values(dead.cp.runtime.outbox?.health() ?? {}).filter(
            (h) => h.status === 'failing',
          ).length === 3,
        10_000,
        'three failing sinks',
      );
      // … yet no ingest waited on them: the slowest is far below one
      // delivery timeout (2 s), and the median is within noise of the CP
      // without sinks.
      console.info(
        `event ingest (ms): without sinks median ${median(plainLat).toFixed(1)} max ${Math.max(...plainLat).toFixed(1)}; ` +
          `with three dead sinks median ${median(deadLat).toFixed(1)} max ${Math.max(...deadLat).toFixed(1)}`,
      );
      expect(Math.max(...deadLat)).toBeLessThan(1_000);
      expect(median(deadLat)).toBeLessThan(median(plainLat) * 2 + 10);
      const c = await dead.anonymous();
      const h = await (
        await c.request('/healthz', { noProtocol: true })
      ).json<{
        status: string;
        alerts: { code: string }[];
        notifications: Record<string, { status: string; pending: number }>;
      }>();
      c.close();
      expect(h.status).toBe('degraded');
      expect(h.alerts.filter((a) => a.code === 'CP_ERR_NOTIFY_SINK')).toHaveLength(3);
      expect(h.notifications['webhook']?.pending).toBeGreaterThan(0);
    } finally {
      await plain.close();
      await dead.close();
      await http.close();
    }
  });
});

describe('a restart', () => {
  it('delivers the notifications a dead sink left pending, with their dedupe ids', async () => {
    const http = await startHttpSinks('hang');
    const natsPort = await freePort();
    // Enough attempts that nothing is given up while the sinks are down.
    const t = await cpWithSinks(`nats://127.0.0.1:${natsPort}`, http.port, {
      notifyMaxAttempts: '1000',
    });
    try {
      await drive(t);
      await until(
        () => (t.cp.runtime.outbox?.health()['webhook']?.consecutiveFailures ?? 0) > 0,
        10_000,
        'a failed webhook attempt',
      );
      const pending = (await t.cp.runtime.storage.pendingNotifications({ limit: 1000 }))
        .filter((r) => r.sink === 'webhook')
        .map((r) => r.dedupeId)
        .sort();
      expect(pending.length).toBe(EXPECTED_KINDS.length);
      // The sinks come back while the CP is down.
      await t.cp.stop();
      http.mode = 'ok';
      const nats = await startNatsServer(natsPort);
      const sub = await subscribe(nats.url, 'nixfleet.events.>');
      try {
        await t.restart();
        await until(
          () =>
            http.received.filter((r) => r.path === '/hook' && r.status === 200).length >=
            pending.length,
          10_000,
          'webhook deliveries after the restart',
        );
        const delivered = http.received
          .filter((r) => r.path === '/hook' && r.status === 200)
          .map((r) => (JSON.parse(r.body) as { id: string }).id)
          .sort();
        expect(delivered).toEqual(pending);
        await until(() => sub.messages.length >= pending.length, 10_000, 'NATS after restart');
        expect(sub.messages.map((m) => m.json['id']).sort()).toEqual(pending);
        await until(
          () => Object.values(t.cp.runtime.outbox?.health() ?? {}).every((h) => h.pending === 0),
          10_000,
          'outbox drained',
        );
      } finally {
        await sub.close();
        await nats.stop();
      }
    } finally {
      await t.close();
      await http.close();
    }
  });
});
