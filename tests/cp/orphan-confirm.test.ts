// Orphan-confirm recovery on /v1/agent/heartbeat: after a database wipe an
// agent that lost its event journal cannot replay; when it runs exactly the
// verified target of its rollout, the CP confirms the activation itself (no
// agent seq) instead of leaving the host Pending behind a dispatch the agent
// ignores. A host on any other closure is never confirmed.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'f1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOSTS = ['h-000', 'h-001', 'h-002'];
/** Real time plus a skip, so the test can jump past the replay grace. */
let skipMs = 0;
const clock = { now: (): number => Date.now() + skipMs };
let t: TestCp;
const agents = new Map<string, SimAgent>();
const agent = (h: string): SimAgent => agents.get(h) as SimAgent;
const stateOf = (h: string): string | undefined => t.cp.runtime.state.record(RID, h)?.state;

async function reconnect(): Promise<void> {
  for (const h of HOSTS) {
    const client = await t.client(h);
    const a = agents.get(h);
    if (a) a.client = client;
    else agents.set(h, new SimAgent(h, client));
  }
}

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([3]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
    clock,
  });
  await reconnect();
});
afterAll(async () => {
  await t.close();
});

describe('orphan-confirm recovery', () => {
  it('confirms a host running its verified target that cannot replay; never another closure', async () => {
    for (const h of HOSTS) expect((await agent(h).heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    for (const h of HOSTS) {
      const d = await agent(h).poll(0);
      if (d === null) throw new Error(`no dispatch for ${h}`);
      expect(await agent(h).activate(d, { converge: false })).toEqual([204, 204, 204, 204]);
    }
    for (const h of HOSTS) expect(stateOf(h)).toBe('Soaking');

    await t.restart({ wipe: true });
    await reconnect();
    // h-001 and h-002 lost their journals (nothing to replay); h-002 also
    // reports a closure that is not its target.
    agent('h-001').sent.clear();
    agent('h-002').sent.clear();
    agent('h-002').current = 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-something-else';

    // Heartbeat 1: every host is asked to replay; only h-000 can.
    for (const h of HOSTS) {
      const r = await agent(h).heartbeat();
      expect(r.headers['x-nixfleet-replay-from']).toBe(`${RID}=1`);
      await agent(h).replay(r.headers['x-nixfleet-replay-from'] as string);
    }
    expect(HOSTS.map(stateOf)).toEqual(['Soaking', undefined, undefined]);
    // The planner re-dispatches the hosts it has no record of (Pending).
    await t.cp.tick('test');
    expect(HOSTS.map(stateOf)).toEqual(['Soaking', 'Pending', 'Pending']);

    // A heartbeat within the replay grace (half the 60 s heartbeat interval) asks again: the replay may
    // still be on its way behind the agent's backoff.
    const soon = await agent('h-001').heartbeat();
    expect(soon.headers['x-nixfleet-replay-from']).toBe(`${RID}=1`);
    expect(stateOf('h-001')).toBe('Pending');

    // Heartbeat 2, past the grace: the replay never came. h-001 runs its
    // verified target: orphan confirm. h-002 does not: it stays Pending and
    // is asked again.
    skipMs += 31_000;
    const r1 = await agent('h-001').heartbeat();
    expect(r1.headers['x-nixfleet-replay-from']).toBeUndefined();
    expect(stateOf('h-001')).toBe('Soaking');
    expect(t.cp.runtime.state.record(RID, 'h-001')?.currentClosure).toBe(agent('h-001').current);
    expect(await agent('h-001').poll(0)).toBeNull(); // the re-dispatch left the outbox
    const r2 = await agent('h-002').heartbeat();
    expect(r2.headers['x-nixfleet-replay-from']).toBe(`${RID}=1`);
    expect(stateOf('h-002')).toBe('Pending');

    // The synthesised rows carry no agent seq: they are the CP's inference.
    await t.cp.runtime.mutator.idle();
    const db = new Database(t.dbPath, { readonly: true });
    const rows = db
      .prepare(
        "SELECT kind, agent_seq FROM event_log WHERE hostname = 'h-001' AND stream = 'host' ORDER BY seq",
      )
      .all();
    db.close();
    expect(rows).toEqual([
      { kind: 'RemoteDispatchIssued', agent_seq: null },
      { kind: 'RemoteDispatchAck', agent_seq: null },
      { kind: 'RemoteActivationComplete', agent_seq: null },
    ]);

    // The agent's own events take over from there. The CP lost the probe
    // topology with the rest, so a Converged alone is refused (409) until the
    // agent declares its probes again (see docs/control-plane.md).
    const target = t.cp.runtime.state.record(RID, 'h-001')?.targetClosure as string;
    const early = await agent('h-001').send('Converged', RID, {
      converged_at: rfc3339(),
      current_closure: target,
    });
    expect(early.status).toBe(409);
    const declared = await agent('h-001').send('ProbeTopologyDeclared', RID, {
      declared_at: rfc3339(),
      probes: [],
    });
    expect(declared.status).toBe(204);
    const conv = await agent('h-001').send('Converged', RID, {
      converged_at: rfc3339(),
      current_closure: target,
    });
    expect(conv.status).toBe(204);
    expect(stateOf('h-001')).toBe('Converged');
    expect(t.cp.runtime.metrics.orphanConfirms.get()).toBe(1);
  });
});
