// Names from requests and certificates never resolve to Object.prototype
// members: a real CP answers `/v1/channels/__proto__` and friends 404, and
// an agent whose certificate CN is `constructor` heartbeating is listed as
// undeclared, not taken for a fleet host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([1]),
      soakMinutes: [0],
      ciCommit: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
      signedAt: rfc3339(),
    },
  });
});
afterAll(async () => {
  await t.close();
});

const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

describe('object-prototype names', () => {
  it.each(PROTOTYPE_NAMES)('GET /v1/channels/%s is an unknown channel (404)', async (name) => {
    const op = await t.client('operator:test');
    const r = await op.request(`/v1/channels/${name}`);
    expect(r.status, r.body.toString()).toBe(404);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('CP_ERR_UNKNOWN_CHANNEL');
  });

  it('still serves a declared channel', async () => {
    const r = await (await t.client('operator:test')).request('/v1/channels/stable');
    expect(r.status).toBe(200);
  });

  it('lists an agent named like a prototype member as undeclared', async () => {
    for (const name of ['constructor']) {
      const hb = await new SimAgent(name, await t.client(name)).heartbeat();
      expect(hb.status).toBe(200);
    }
    await t.cp.runtime.mutator.idle();
    const hosts = await (await t.client('operator:test')).request('/v1/hosts');
    const body = hosts.json<{ undeclared: string[]; hosts: { hostname: string }[] }>();
    expect(body.undeclared).toEqual(['constructor']);
    expect(body.hosts.map((h) => h.hostname)).toEqual(['h-000']);
  });
});
