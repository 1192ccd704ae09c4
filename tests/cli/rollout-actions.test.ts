// `nixfleet rollout pause|resume|abort|approve|clear` against the real CP,
// with operator certificates minted by `nixfleet mint-operator-cert` and
// roles from the signed fleet: exit 0 when recorded or already in force
// (idempotent), 2 for bad arguments, 4 naming the CP's code when refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from '../cp/kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from '../cp/kit/harness.ts';
import { operatorFlags } from './support/real-cp.ts';
import { runOp, runProcess } from './support/run.ts';

const COMMIT = 'd1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
let t: TestCp;
const as: Record<string, string[]> = {};

const run = (who: string, args: readonly string[]) =>
  runOp(['rollout', ...args, ...(as[who] ?? [])], { now: new Date() });

beforeAll(async () => {
  t = await startTestCp({
    release: {
      hosts: hostsIn([1, 2]),
      soakMinutes: [30, 0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      approval: ['auto', 'manual'],
      operators: { alice: { role: 'operator' }, root: { role: 'admin' }, vic: { role: 'viewer' } },
    },
  });
  for (const who of ['alice', 'root', 'vic', 'mallory']) as[who] = await operatorFlags(t, who);
  // Online hosts: the status rows say why they wait, not that they are offline.
  for (const h of ['h-000', 'h-001', 'h-002']) await new SimAgent(h, await t.client(h)).heartbeat();
  await t.cp.tick('test');
});
afterAll(async () => t?.close());

describe('nixfleet rollout actions against the real CP', () => {
  it('resume lifts the pause a first rollout opens with (real binary, exit 0)', async () => {
    const r = await runProcess(
      ['rollout', 'resume', RID, '--reason', 'first start of this CP', ...(as['alice'] ?? [])],
      { env: { ...process.env, HOME: '/nonexistent-home' } },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${RID}: resume recorded`);
  });

  it('pause by channel, then again: exit 0 both times, the second says already', async () => {
    const first = await run('alice', ['pause', '--channel', 'stable', '--reason', 'db migration']);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/pause recorded .*paused by alice/);
    const again = await run('alice', ['pause', RID, '--reason', 'again', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: 'already',
      state: { paused: { by: 'alice', reason: 'db migration' } },
    });
  });

  it('status and watch show who paused, why, since when, and how to resume', async () => {
    const s = await runOp(['status', ...(as['vic'] ?? [])], { now: new Date() });
    expect(s.stderr).toBe('');
    expect(s.stdout).toMatch(
      new RegExp(
        `${RID}: paused by operator:alice \\S+ ago: 'db migration' — nixfleet rollout resume ${RID}`,
      ),
    );
    expect(s.stdout).toMatch(/h-001\s+· queued\s+paused by operator:alice/);
    const w = await runOp(['watch', RID, '--once', ...(as['vic'] ?? [])], { now: new Date() });
    expect(w.stdout).toContain('paused by operator:alice');
  });

  it('refuses bad arguments before asking the CP (exit 2)', async () => {
    expect((await run('alice', ['pause', RID])).code).toBe(2);
    expect((await run('alice', ['pause', RID, '--reason', '  '])).code).toBe(2);
    expect((await run('alice', ['pause', RID, '--channel', 'stable', '--reason', 'x'])).code).toBe(
      2,
    );
    expect((await run('alice', ['pause', '--reason', 'x'])).code).toBe(2);
    expect((await run('alice', ['pause', 'not-an-id', '--reason', 'x'])).code).toBe(2);
  });

  it('a refusal is exit 4 naming the CP code: role, unknown operator, approval, state', async () => {
    const cases: [string, string[], string][] = [
      ['vic', ['resume', RID, '--reason', 'x'], 'CP_ERR_ROLE_FORBIDDEN'],
      ['mallory', ['pause', RID, '--reason', 'x'], 'CP_ERR_OPERATOR_UNKNOWN'],
      ['alice', ['abort', RID, '--reason', 'x'], 'CP_ERR_ROLE_FORBIDDEN'],
      ['alice', ['approve', RID, '--reason', 'x'], 'CP_ERR_APPROVAL_NOT_REQUIRED'],
      ['root', ['clear', RID, '--reason', 'x'], 'CP_ERR_CLEAR_NOT_ALLOWED'],
      ['alice', ['pause', 'stable@ffff', '--reason', 'x'], 'CP_ERR_UNKNOWN_ROLLOUT'],
    ];
    for (const [who, args, code] of cases) {
      const r = await run(who, args);
      expect([who, args[0], r.code], r.stderr).toEqual([who, args[0], 4]);
      expect(r.stderr).toContain(code);
    }
  });

  it('abort is final and idempotent; rollout events show every action with operator and reason', async () => {
    expect((await run('root', ['abort', RID, '--reason', 'bad build'])).code).toBe(0);
    const again = await run('root', ['abort', RID, '--reason', 'bad build']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already aborted');
    const resume = await run('alice', ['resume', RID, '--reason', 'undo']);
    expect(resume.code).toBe(4);
    expect(resume.stderr).toContain('CP_ERR_ACTION_STATE');
    const s = await runOp(['status', ...(as['vic'] ?? [])], { now: new Date() });
    expect(s.stdout).toContain(`${RID}: aborted by operator:root`);
    expect(s.stdout).toContain('only a new release moves channel stable on');
    expect(s.stdout).toMatch(/h-001\s+· queued\s+aborted: needs a new release/);
    const ev = await run('vic', ['events', RID]);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toMatch(/OperatorPaused .*"operator":"alice".*"reason":"db migration"/);
    expect(ev.stdout).toMatch(/OperatorAborted .*"operator":"root".*"reason":"bad build"/);
  });
});
