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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from '../cp/kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from '../cp/kit/harness.ts';
import { runOp } from './support/run.ts';

const COMMIT = 'c1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;
let flags: string[];

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([1, 2]),
      soakMinutes: [30, 0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
    },
  });
  const out = mkdtempSync(join(tmpdir(), 'nixfleet-realcp-'));
  const minted = await runOp(
    [
      'mint-operator-cert',
      '--ca-cert',
      t.pki.caCertFile,
      '--ca-key',
      t.pki.caKeyFile,
      '--name',
      'alice',
      '--out-cert',
      join(out, 'op.pem'),
      '--out-key',
      join(out, 'op.key'),
    ],
    { now: new Date() },
  );
  if (minted.code !== 0) throw new Error(minted.stderr);
  flags = [
    '--cp-url',
    `https://127.0.0.1:${t.port}`,
    '--ca-cert',
    t.pki.caCertFile,
    '--client-cert',
    join(out, 'op.pem'),
    '--client-key',
    join(out, 'op.key'),
  ];
  // A rollout in progress: h-000 (wave 0) dispatched and activated.
  const agents = await Promise.all(
    ['h-000', 'h-001', 'h-002'].map(async (h) => new SimAgent(h, await t.client(h))),
  );
  for (const a of agents) await a.heartbeat();
  await t.cp.tick('test');
  const d = await agents[0]?.poll(0);
  if (!d) throw new Error('no dispatch for h-000');
  await agents[0]?.activate(d, { converge: false });
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
