// Every cell of the authorization table (ts/cp/routes/access.ts) against a
// real CP over mTLS with real certificates of each kind: no certificate, an
// agent's (its own host and another host's resources), an operator's
// (`CN=operator:<name>`), and fleet-CA certificates without the clientAuth
// extended key usage. A route added to the table without a request here
// fails the suite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TABLE, type CallerKind, type Cell } from '../../ts/cp/routes/access.ts';
import { connect, type H2Client, type H2Response } from './kit/client.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { csrFor, type HostKey } from './kit/pki.ts';
import { rfc3339 } from './kit/agent-sim.ts';

const COMMIT = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const OWN = 'h-000';
const OTHER = 'h-001';
const OWN_RID = `stable@${COMMIT}`;
const OTHER_RID = `edge@${COMMIT}`;

let t: TestCp;
let anon: H2Client;
let agent: H2Client;
let agentKey: HostKey;
let operator: H2Client;
let agentNoEku: H2Client;
let operatorNoEku: H2Client;

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: [
        { name: OWN, channel: 'stable', wave: 0 },
        { name: OTHER, channel: 'edge', wave: 0 },
      ],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
    },
  });
  const mk = async (cn: string, eku: 'clientAuth' | 'none' = 'clientAuth') => {
    const c = await t.pki.client(cn, { eku });
    return { client: await connect(t.port, { ca: t.pki.caPem, cert: c.cert, key: c.key }), c };
  };
  anon = await t.anonymous();
  const a = await mk(OWN);
  agent = a.client;
  agentKey = a.c.hostKey;
  operator = (await mk('operator:alice')).client;
  agentNoEku = (await mk(OWN, 'none')).client;
  operatorNoEku = (await mk('operator:alice', 'none')).client;
});
afterAll(async () => {
  for (const c of [anon, agent, operator, agentNoEku, operatorNoEku]) c?.close();
  await t?.close();
});

const heartbeat = (hostname: string) => ({
  hostname,
  agent_version: '0.2.0',
  current_closure: null,
  uptime_secs: 1,
  last_event_seq_by_rollout: {},
  at: rfc3339(),
});
const event = (hostname: string, rid: string) => ({
  kind: 'DispatchAck',
  rollout_id: rid,
  hostname,
  seq: 2,
  received_at: rfc3339(),
  current_closure_at_dispatch: null,
});

/** How to call a route on the caller's own host's resources and on another host's. */
interface Probe {
  readonly path: (host: string, rid: string) => string;
  readonly body?: (host: string, rid: string) => Promise<unknown> | unknown;
}

const PROBES: Readonly<Record<string, Probe>> = {
  'GET /healthz': { path: () => '/healthz' },
  'GET /metrics': { path: () => '/metrics' },
  'POST /v1/enroll': { path: () => '/v1/enroll', body: () => ({}) },
  'POST /v1/agent/bootstrap-report': { path: () => '/v1/agent/bootstrap-report', body: () => ({}) },
  'POST /v1/agent/renew': {
    path: () => '/v1/agent/renew',
    body: async (host) => ({ csrPem: await csrFor(host, agentKey) }),
  },
  'GET /v1/agent/dispatch': { path: (host) => `/v1/agent/dispatch?hostname=${host}&wait=1` },
  'POST /v1/agent/events': { path: () => '/v1/agent/events', body: event },
  'POST /v1/agent/heartbeat': { path: () => '/v1/agent/heartbeat', body: heartbeat },
  'GET /v1/rollouts/:id': { path: (_h, rid) => `/v1/rollouts/${rid}` },
  'GET /v1/rollouts': { path: () => '/v1/rollouts' },
  'GET /v1/rollouts/:id/events': { path: (_h, rid) => `/v1/rollouts/${rid}/events` },
  'GET /v1/rollouts/:id/trace': { path: (_h, rid) => `/v1/rollouts/${rid}/trace` },
  'GET /v1/hosts': { path: () => '/v1/hosts' },
  'GET /v1/channels/:name': { path: () => '/v1/channels/stable' },
  'GET /v1/deferrals': { path: () => '/v1/deferrals' },
  'GET /v1/whoami': { path: () => '/v1/whoami' },
  // An empty body: reaching the route shows as the schema refusal (400).
  'POST /v1/rollouts/:id/actions': {
    path: (_h, rid) => `/v1/rollouts/${rid}/actions`,
    body: () => ({}),
  },
  'POST /v1/channels/:name/actions': {
    path: () => '/v1/channels/stable/actions',
    body: () => ({}),
  },
};

async function call(c: H2Client, route: string, host: string, rid: string): Promise<H2Response> {
  const probe = PROBES[route] as Probe;
  const method = route.split(' ')[0] as string;
  const body = probe.body ? await probe.body(host, rid) : undefined;
  return c.request(probe.path(host, rid), {
    method,
    ...(body !== undefined ? { body } : {}),
    timeoutMs: 10_000,
  });
}

const codeOf = (r: H2Response): string | null => {
  try {
    return (r.json<{ error?: { code?: string } }>().error?.code ?? null) as string | null;
  } catch {
    return null;
  }
};

/** Refusals that mean "the caller may not use this route". */
const AUTH_REFUSALS = new Set([
  'CP_ERR_CLIENT_CERT_REQUIRED',
  'CP_ERR_CLIENT_CERT_USAGE',
  'CP_ERR_FORBIDDEN',
]);

function expectAllowed(r: H2Response, label: string): void {
  expect(AUTH_REFUSALS.has(codeOf(r) ?? ''), `${label}: ${r.status} ${r.body}`).toBe(false);
  expect([401, 403], `${label}: ${r.status} ${r.body}`).not.toContain(r.status);
}

describe('the authorization table', () => {
  it('has a probe for every route and a route for every probe', () => {
    expect(ACCESS_TABLE.map((r) => r.route).sort()).toEqual(Object.keys(PROBES).sort());
  });

  const cells: [string, CallerKind, Cell][] = ACCESS_TABLE.flatMap((row) =>
    (['none', 'agent', 'operator'] as const).map(
      (k) => [row.route, k, row[k]] as [string, CallerKind, Cell],
    ),
  );

  it.each(cells)('%s × %s = %s', async (route, kind, cell) => {
    const client = kind === 'none' ? anon : kind === 'agent' ? agent : operator;
    const r = await call(client, route, OWN, OWN_RID);
    const label = `${route} as ${kind}`;
    if (cell === 'deny') {
      expect(r.status, label).toBe(kind === 'none' ? 401 : 403);
      expect(codeOf(r), label).toBe(
        kind === 'none' ? 'CP_ERR_CLIENT_CERT_REQUIRED' : 'CP_ERR_FORBIDDEN',
      );
      return;
    }
    expectAllowed(r, label);
    if (cell === 'token') {
      // Decided by the (absent) token in the body, not by a certificate.
      expect(r.status, label).toBe(400);
      expect(codeOf(r), label).toBe('CP_ERR_SCHEMA_INVALID');
      return;
    }
    if (cell === 'own') {
      // The same route on another host's resources is refused.
      const o = await call(client, route, OTHER, OTHER_RID);
      expect(o.status, `${label} on ${OTHER}: ${o.body}`).toBe(403);
      expect(['CP_ERR_CN_MISMATCH', 'CP_ERR_FORBIDDEN'], label).toContain(codeOf(o));
    }
  });

  it.each(ACCESS_TABLE.filter((r) => r.none === 'deny').map((r) => [r.route]))(
    '%s refuses fleet-CA certificates without the clientAuth extended key usage',
    async (route) => {
      for (const c of [agentNoEku, operatorNoEku]) {
        const r = await call(c, route, OWN, OWN_RID);
        expect(r.status, `${route}: ${r.body}`).toBe(401);
        expect(codeOf(r)).toBe('CP_ERR_CLIENT_CERT_USAGE');
      }
    },
  );

  it('counts refusals by code', async () => {
    const text = (await anon.request('/metrics')).body.toString();
    for (const code of [
      'CP_ERR_FORBIDDEN',
      'CP_ERR_CLIENT_CERT_USAGE',
      'CP_ERR_CLIENT_CERT_REQUIRED',
    ])
      expect(text).toMatch(new RegExp(`nixfleet_cp_auth_refused_total\\{code="${code}"\\} [1-9]`));
  });

  it('whoami names the kind of the certificate', async () => {
    const a = await agent.request('/v1/whoami');
    const o = await operator.request('/v1/whoami');
    expect(a.json()).toMatchObject({ cn: OWN, role: 'agent' });
    expect(o.json()).toMatchObject({ cn: 'operator:alice', role: 'operator' });
  });
});
