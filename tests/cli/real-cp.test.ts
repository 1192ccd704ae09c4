// The operator CLI against the real control plane (ts/cp, started by the CP
// test kit) during a real rollout: heartbeats bring three hosts online, the
// planner dispatches wave 0, the first host acknowledges and activates. The
// operator certificate is minted by `nixfleet mint-operator-cert` from the
// CP's own fleet CA.
//
// The CP's read routes answer the api-* contracts (ts/cp/routes/views.ts
// `satisfies` the generated types); the CLI validates every answer, so these
// tests fail if either side drifts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCp } from '../cp/kit/harness.ts';
import { startRolloutCp } from './support/real-cp.ts';
import { runOp } from './support/run.ts';

const COMMIT = 'c1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;
let flags: string[];

beforeAll(async () => {
  const cp = await startRolloutCp(COMMIT);
  t = cp.t;
  flags = [...cp.flags];
});
afterAll(async () => t?.close());

describe('nixfleet against the real CP', () => {
  it('whoami: the CP sees the minted operator certificate as an operator', async () => {
    const r = await runOp(['whoami', ...flags], { now: new Date() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^operator:alice \\(operator\\) on https://127\\.0\\.0\\.1:${t.port}, certificate valid until `,
      ),
    );
  });

  it('a wrong CA or an unknown client certificate never passes (exit 3 / 4)', async () => {
    const other = [...flags];
    other[5] = t.pki.caCertFile; // client cert = the CA cert: not a client certificate of its key
    const r = await runOp(['whoami', ...other], { now: new Date() });
    expect(r.code).not.toBe(0);
  });

  it('status renders the real fleet mid-rollout', async () => {
    const r = await runOp(['status', ...flags], { now: new Date() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stable');
    const json = await runOp(['status', '--json', ...flags], { now: new Date() });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { hosts: { hostname: string; state: string | null }[] };
    expect(doc.hosts.length).toBe(3);
    expect(doc.hosts.filter((h) => h.state !== null).length).toBeGreaterThan(0);
  });

  it('rollout list and events read the real rollout (exit 0)', async () => {
    const list = await runOp(['rollout', 'list', ...flags], { now: new Date() });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(RID);
    const events = await runOp(['rollout', 'events', RID, '--json', ...flags], { now: new Date() });
    expect(events.code).toBe(0);
    const doc = JSON.parse(events.stdout) as { events: { kind: string }[] };
    expect(doc.events.map((e) => e.kind)).toContain('RolloutOpened');
  });

  it('rollout trace reads the real planner decisions (the trace route follows its contract)', async () => {
    const r = await runOp(['rollout', 'trace', RID, ...flags], { now: new Date() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = await runOp(['rollout', 'trace', RID, '--json', ...flags], { now: new Date() });
    expect(JSON.parse(json.stdout)).toMatchObject({ rolloutId: RID });
  });

  it('a CP refusal (unknown rollout, 404 api-error body) is exit 4 naming the CP code', async () => {
    const r = await runOp(['rollout', 'trace', 'stable@ffff', ...flags], { now: new Date() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('CP_ERR_UNKNOWN_ROLLOUT');
  });
});
