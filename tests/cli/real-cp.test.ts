// The operator CLI against the real control plane (ts/cp, started by the CP
// test kit) during a real rollout: heartbeats bring three hosts online, the
// planner dispatches wave 0, the first host acknowledges and activates. The
// operator certificate is minted by `nixfleet mint-operator-cert` from the
// CP's own fleet CA.
//
// Known deviation (issue 7): the CP's read routes (/v1/hosts, /v1/rollouts,
// /v1/channels/{name}, …/events, …/trace) do not yet answer the api-*
// contracts. The CLI refuses such answers with exit 5 naming the violated
// paths — the tests below pin that, and flip (fail) once the CP conforms,
// which is the signal to replace them with the positive screen checks of
// watch-tmux.test.ts.
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

  it('known deviation: status refuses the off-contract /v1/hosts answer with exit 5', async () => {
    const r = await runOp(['status', ...flags], { now: new Date() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('CLI_ERR_CP_BAD_RESPONSE');
    expect(r.stderr).toMatch(/violates the api-(hosts|rollouts) contract/);
    expect(r.stdout).toBe('');
  });

  it('known deviation: rollout list and events refuse their off-contract answers (exit 5)', async () => {
    for (const args of [
      ['rollout', 'list'],
      ['rollout', 'events', RID],
    ]) {
      const r = await runOp([...args, ...flags], { now: new Date() });
      expect({ args, code: r.code }).toEqual({ args, code: 5 });
      expect(r.stderr).toContain('violates the api-rollout');
    }
  });

  it('rollout trace reads the real planner decisions (the trace route follows its contract)', async () => {
    const r = await runOp(['rollout', 'trace', RID, ...flags], { now: new Date() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = await runOp(['rollout', 'trace', RID, '--json', ...flags], { now: new Date() });
    expect(JSON.parse(json.stdout)).toMatchObject({ rolloutId: RID });
  });

  it('known deviation: CP error bodies lack `status` (api-error), so a 404 is exit 5 naming the CP code', async () => {
    const r = await runOp(['rollout', 'trace', 'stable@ffff', ...flags], { now: new Date() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      '404 without the api-error contract body (it said CP_ERR_UNKNOWN_ROLLOUT: rollout stable@ffff is not known)',
    );
  });
});
