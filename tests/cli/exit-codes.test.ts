// Exit codes tell the truth: `nixfleet status` and `nixfleet watch` against
// the real control plane (ts/cp through the CP test kit), with hosts speaking
// the agent wire protocol. `status` exits 1 when a host of the adopted signed
// fleet was never seen, went silent or failed; `watch` exits 0 only when
// every host the rollout targets converged in it. Each ends with the verdict
// line that says why.
import { afterEach, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from '../cp/kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from '../cp/kit/harness.ts';
import { operatorFlags } from './support/real-cp.ts';
import { runOp } from './support/run.ts';

const COMMIT = 'a7b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
/** Real time plus a skip, so a test can jump past the offline threshold. */
let skipMs = 0;
const clock = { now: (): number => Date.now() + skipMs };
let t: TestCp | null = null;

afterEach(async () => {
  await t?.close();
  t = null;
  skipMs = 0;
});

/** A CP with `waves` hosts (`h-000`…), soak 0, and operator flags for it. */
async function fleet(waves: readonly number[]): Promise<{
  cp: TestCp;
  flags: string[];
  agents: SimAgent[];
}> {
  const cp = await startTestCp({
    release: {
      hosts: hostsIn(waves),
      soakMinutes: waves.map(() => 0),
      ciCommit: COMMIT,
      signedAt: rfc3339(),
    },
    clock,
  });
  t = cp;
  const names = hostsIn(waves).map((h) => h.name);
  const agents = await Promise.all(names.map(async (h) => new SimAgent(h, await cp.client(h))));
  return { cp, flags: await operatorFlags(cp), agents };
}

/** Heartbeats, one planner tick, and every dispatch activated and converged. */
async function converge(cp: TestCp, agents: readonly SimAgent[]): Promise<void> {
  for (const a of agents) expect((await a.heartbeat()).status).toBe(200);
  await cp.cp.tick('test');
  for (const a of agents) {
    const d = await a.poll(0);
    if (d === null) throw new Error(`no dispatch for ${a.hostname}`);
    expect(await a.activate(d)).toEqual([204, 204, 204, 204, 204]);
  }
  await cp.cp.tick('test');
}

const status = (flags: readonly string[]) => runOp(['status', ...flags], { now: new Date() });

describe('nixfleet status exit codes against the real CP', () => {
  it('every host of the signed fleet never seen: exit 1, naming them', async () => {
    const { flags } = await fleet([3]);
    const r = await status(flags);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/h-000\s+! stale\s+never seen/);
    expect(r.stdout).toContain('✗ needs attention: 3 never seen (h-000, h-001, h-002)');
    const json = await runOp(['status', '--json', ...flags], { now: new Date() });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { verdict: { healthy: boolean } }).verdict.healthy).toBe(
      false,
    );
  });

  it('every host converged and heartbeating: exit 0', async () => {
    const { cp, flags, agents } = await fleet([3]);
    await converge(cp, agents);
    expect(cp.cp.runtime.state.model.book.rollouts[RID]?.state).toBe('Terminal');
    const ok = await status(flags);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('✓ healthy: 3 hosts seen and reachable, none failed');
  });

  it('a converged host gone silent (stale): exit 1, naming it', async () => {
    const { cp, flags, agents } = await fleet([3]);
    await converge(cp, agents);
    // Four heartbeat intervals later only two hosts still report: h-002 is stale.
    skipMs += 4 * 60_000;
    for (const a of agents.slice(0, 2)) await a.heartbeat();
    await cp.cp.sweep();
    const stale = await runOp(['status', ...flags], { now: new Date(clock.now()) });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/✗ needs attention: 1 offline \(h-002\)/);
  });

  it('a failed host: exit 1', async () => {
    const { cp, flags, agents } = await fleet([2]);
    for (const a of agents) await a.heartbeat();
    await cp.cp.tick('test');
    const a = agents[0] as SimAgent;
    const d = await a.poll(0);
    if (d === null) throw new Error('no dispatch');
    await a.send('DispatchAck', RID, { received_at: rfc3339(), current_closure_at_dispatch: null });
    const failed = await a.send('ActivationFailed', RID, {
      failed_at: rfc3339(),
      switch_exit_code: 1,
      stderr_tail: 'switch-to-configuration failed',
    });
    expect(failed.status).toBe(204);
    const r = await status(flags);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/h-000\s+✗ failed/);
    expect(r.stdout).toContain('1 failed (h-000)');
  });
});

describe('nixfleet watch exit codes against the real CP', () => {
  it('every targeted host converged: exit 0 with the count', async () => {
    const { cp, flags, agents } = await fleet([2]);
    await converge(cp, agents);
    const r = await runOp(['watch', RID, ...flags], { now: new Date() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ ${RID} Terminal: 2/2 targeted hosts converged`);
  });

  it('a targeted host that never got the release: exit 1, naming it', async () => {
    const { cp, flags, agents } = await fleet([2]);
    // h-001 never comes up: the planner skips it and h-000 converges alone.
    await converge(cp, agents.slice(0, 1));
    const r = await runOp(['watch', RID, '--once', ...flags], { now: new Date() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 not converged (h-001: never seen)');
    expect(r.stdout).toContain('1/2 targeted hosts converged');
    const json = await runOp(['watch', RID, '--once', '--json', ...flags], { now: new Date() });
    expect(json.code).toBe(1);
  });
});
