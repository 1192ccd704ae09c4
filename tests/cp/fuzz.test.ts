// Fuzz: thousands of random and half-valid bodies, paths and headers against
// every route over real mTLS. Nothing may answer 500, the CP must still serve
// afterwards and its database must pass PRAGMA integrity_check.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import type { H2Client } from './kit/client.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'e1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([2, 2]), soakMinutes: [0, 0], ciCommit: COMMIT, signedAt: rfc3339() },
    flags: { bodyLimit: '65536' },
  });
});
afterAll(async () => {
  await t.close();
});

const KINDS = [
  'DispatchAck',
  'DispatchReject',
  'ActivationStarted',
  'ActivationComplete',
  'ActivationFailed',
  'ActivationDeferred',
  'ProbeTopologyDeclared',
  'ProbeObservedFirst',
  'ProbeResult',
  'ProbeFailureFirst',
  'Failed',
  'RollbackComplete',
  'Converged',
  'ClosureQuarantined',
  'Bogus',
];
const closure = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-sys',
      'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-x',
    ),
  },
  fc.constantFrom('', '../etc'),
);
const ts = fc.oneof(
  { weight: 8, arbitrary: fc.constant(rfc3339()) },
  fc.constant('2026-02-30T25:00:00Z'),
  fc.string(),
);

/** Event-shaped bodies: right keys, random values — reach the reducer. */
const eventish = fc.record(
  {
    kind: fc.constantFrom(...KINDS),
    rollout_id: fc.oneof(
      { weight: 8, arbitrary: fc.constant(RID) },
      fc.constant('stable@00'),
      fc.string(),
    ),
    hostname: fc.constant('h-000'),
    seq: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }) },
      fc.double(),
      fc.constant(Number.MAX_SAFE_INTEGER),
    ),
    received_at: ts,
    started_at: ts,
    completed_at: ts,
    failed_at: ts,
    deferred_at: ts,
    declared_at: ts,
    observed_at: ts,
    first_failed_at: ts,
    converged_at: ts,
    rejected_at: ts,
    current_closure_at_dispatch: fc.option(closure),
    observed_current_closure: closure,
    current_closure: closure,
    reverted_to_closure: closure,
    switch_exit_code: fc.integer(),
    switch_method: fc.string(),
    stderr_tail: fc.string(),
    component: fc.constantFrom('dbus', 'kernel', 'x'),
    probes: fc.array(
      fc.record({
        name: fc.string(),
        kind: fc.constantFrom('http', 'exec'),
        mode: fc.constantFrom('enforce', 'observe'),
      }),
    ),
    probe_name: fc.string(),
    mode: fc.constantFrom('enforce', 'observe', 'disabled'),
    status: fc.constantFrom('Pass', 'Fail', 'Unknown'),
    failure_reason: fc.option(fc.string()),
    sub_results: fc.constant(null),
    sustained_duration_secs: fc.nat(),
    failing_probes: fc.array(fc.string()),
    policy_applied: fc.constantFrom('halt', 'rollback-and-halt'),
    reason: fc.constantFrom('Stale', 'X'),
    detail: fc.option(fc.string()),
    target_closure: fc.option(closure),
  },
  { noNullPrototype: true },
);
const heartbeatish = fc.record(
  {
    hostname: fc.constant('h-000'),
    agent_version: fc.string(),
    current_closure: fc.option(closure),
    uptime_secs: fc.oneof(fc.nat(), fc.double()),
    last_event_seq_by_rollout: fc.dictionary(fc.oneof(fc.constant(RID), fc.string()), fc.integer()),
    at: ts,
  },
  { requiredKeys: ['hostname'] },
);
const body = fc.oneof(
  { weight: 3, arbitrary: eventish },
  { weight: 2, arbitrary: heartbeatish },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }) },
  { weight: 1, arbitrary: fc.string().map((s) => ({ __raw: s })) },
  {
    weight: 1,
    arbitrary: fc.nat({ max: 2000 }).map((n) => ({ __raw: '['.repeat(n) + ']'.repeat(n) })),
  },
);
const postPath = fc.constantFrom(
  '/v1/agent/events',
  '/v1/agent/heartbeat',
  '/v1/enroll',
  '/v1/agent/renew',
  '/v1/agent/bootstrap-report',
);
const getPath = fc.oneof(
  fc.constantFrom(
    '/v1/agent/dispatch?wait=0',
    '/v1/hosts',
    '/v1/rollouts',
    `/v1/rollouts/${RID}`,
    `/v1/rollouts/${RID}/events?after=x`,
    `/v1/rollouts/${RID}/trace`,
    '/v1/deferrals',
    '/v1/whoami',
    '/v1/channels/stable',
    '/healthz',
    '/metrics',
  ),
  fc.string({ maxLength: 80 }).map((s) => `/v1/${encodeURI(s)}`),
  fc.string({ maxLength: 40 }).map((s) => `/v1/rollouts/${encodeURIComponent(s)}`),
  fc.string({ maxLength: 40 }).map((s) => `/v1/agent/dispatch?wait=${encodeURIComponent(s)}`),
);
const request = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      method: fc.constant('POST'),
      path: postPath,
      body,
      protocol: fc.constantFrom('1', '1', '1', '2', 'x'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      method: fc.constantFrom('GET', 'DELETE', 'PUT'),
      path: getPath,
      body: fc.constant(undefined),
      protocol: fc.constantFrom('1', '1', ''),
    }),
  },
);

describe('fuzz', () => {
  it('survives thousands of random requests without a 500 or a corrupt database', async () => {
    const clients: H2Client[] = [
      await t.client('h-000'),
      await t.client('h-001'),
      await t.anonymous(),
    ];
    // Put h-000 into the rollout so event bodies reach the host reducer.
    for (const h of ['h-000', 'h-001', 'h-002', 'h-003'])
      await new SimAgent(h, await t.client(h)).heartbeat();
    await t.cp.tick('fuzz');
    expect(t.cp.runtime.state.record(RID, 'h-000')?.state).toBe('Pending');
    const samples = fc.sample(request, { numRuns: 3000, seed: 20261122 });
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        const s = samples[i];
        if (s === undefined) return;
        // The client depends on the sample only, never on which worker won
        // the race for it, so the run is the same every time.
        const c = clients[i % clients.length] as H2Client;
        const raw =
          s.body !== undefined &&
          typeof s.body === 'object' &&
          s.body !== null &&
          '__raw' in s.body;
        const payload = raw
          ? String((s.body as { __raw: string }).__raw)
          : s.body === undefined
            ? undefined
            : JSON.stringify(s.body);
        const r = await c.request(s.path, {
          method: s.method,
          noProtocol: true,
          headers: s.protocol === '' ? {} : { 'x-nixfleet-protocol': s.protocol },
          ...(payload !== undefined ? { body: payload } : {}),
        });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status >= 500)
          throw new Error(
            `${s.method} ${s.path} → ${r.status}: ${r.body.toString().slice(0, 300)}`,
          );
        if (r.status >= 400)
          expect(r.json<{ error: { code: string } }>().error.code).toMatch(/^CP_ERR_/);
      }
    };
    await Promise.all(Array.from({ length: 16 }, () => worker()));
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(3000);
    // Both outcomes were exercised (which valid bodies land first is a race
    // between the 16 workers, so no exact code count is asserted).
    const accepted = [...statuses].filter(([code]) => code < 300).reduce((n, [, c]) => n + c, 0);
    const refused = [...statuses].filter(([code]) => code >= 400).reduce((n, [, c]) => n + c, 0);
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // After the storm the CP still accepts valid input: a heartbeat from a
    // host the fuzz never impersonated.
    const hb = await new SimAgent('h-003', await t.client('h-003')).heartbeat();
    expect(hb.status).toBe(200);
    const health = await (await t.anonymous()).request('/healthz', { noProtocol: true });
    expect(health.status).toBe(200);
    const who = await (await t.client('h-001')).request('/v1/whoami');
    expect(who.status).toBe(200);
    await t.cp.runtime.mutator.idle();
    expect(await t.cp.runtime.storage.integrityCheck()).toBe('ok');
  }, 120_000);
});
