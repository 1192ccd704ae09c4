// Two real control-plane processes on one real PostgreSQL server
// (tests/support/postgres.ts): exactly one leads and the other relays to
// it; SIGKILLed mid-rollout, the leader is
// replaced within 10 s (measured and printed), every event it acknowledged
// is in event_log afterwards, and the new leader's plans see the old
// leader's dispatches (no host dispatched twice). A third replica then
// takes over from the second the same way; a leader that loses PostgreSQL
// answers 503 (typed) and exits 1.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../../ts/contracts/index.ts';
import { startPgCluster, type PgCluster } from '../support/postgres.ts';
import { rfc3339 } from './kit/agent-sim.ts';
import { hostsIn } from './kit/harness.ts';
import { makePki } from './kit/pki.ts';
import { makeTrust, writeRelease } from './kit/release.ts';
import {
  freePort,
  HostClients,
  metricOf,
  roleOf,
  startReplica,
  waitForRole,
  type Replica,
  type ReplicaFiles,
} from './kit/replicas.ts';

const COMMIT = 'f1f2f3f4f5f6f7f8f9f0f1f2f3f4f5f6f7f8f9f0';
const RID = `stable@${COMMIT}`;
const HOSTS = 8;
/** The rollout's disruption budget: hosts in flight at once, fleet-wide. */
const BUDGET = 3;
const TAKEOVER_LIMIT_MS = 10_000;

let cluster: PgCluster;
let dbUrl: string;
let files: ReplicaFiles;
const replicas: Replica[] = [];

beforeAll(async () => {
  cluster = await startPgCluster();
  dbUrl = await cluster.createDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-replicas-'));
  const urlFile = join(dir, 'database-url');
  writeFileSync(urlFile, `${dbUrl}\n`, { mode: 0o600 });
  const pki = await makePki(dir);
  const trust = makeTrust(dir);
  const releaseDir = join(dir, 'release');
  writeRelease(releaseDir, trust, {
    hosts: hostsIn([HOSTS]),
    soakMinutes: [60],
    maxInFlight: BUDGET,
    ciCommit: COMMIT,
    signedAt: rfc3339(),
  });
  files = { dir, pki, trust, releaseDir, urlFile };
}, 60_000);

afterAll(async () => {
  for (const r of replicas) {
    r.child.kill('SIGKILL');
    await r.exited;
  }
  cluster?.destroy();
  if (files) rmSync(files.dir, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** RemoteDispatchIssued rows of the rollout per host, as the database holds them. */
async function issuedByHost(): Promise<Record<string, number>> {
  const rows = await query<{ hostname: string; n: string }>(
    `SELECT hostname, COUNT(*) AS n FROM event_log WHERE rollout_id = $1 AND kind = 'RemoteDispatchIssued' GROUP BY hostname`,
    [RID],
  );
  return Object.fromEntries(rows.map((r) => [r.hostname, Number(r.n)]));
}

const code = (body: Buffer): string | null => {
  try {
    return (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
  } catch {
    return null;
  }
};

/** The agent events of one activation after the dispatch (seq 2…5). */
function eventsOf(host: string, d: Dispatch): Record<string, unknown>[] {
  const now = rfc3339();
  const base = { rollout_id: d.rollout_id, hostname: host };
  return [
    { kind: 'DispatchAck', seq: 2, received_at: now, current_closure_at_dispatch: null },
    { kind: 'ActivationStarted', seq: 3, started_at: now, switch_method: 'sandbox' },
    {
      kind: 'ActivationComplete',
      seq: 4,
      completed_at: now,
      observed_current_closure: d.target_closure,
      switch_exit_code: 0,
    },
    { kind: 'ProbeTopologyDeclared', seq: 5, declared_at: now, probes: [] },
  ].map((e) => ({ ...base, ...e }));
}

describe('control plane replicas on PostgreSQL', () => {
  it('one leads; SIGKILLed mid-rollout it is replaced within 10 s, losing no acknowledged event and dispatching nobody twice', async () => {
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    const a = startReplica(files, 'a', pa);
    replicas.push(a);
    await waitForRole(files, a, 'leader');
    const b = startReplica(files, 'b', pb);
    replicas.push(b);
    await waitForRole(files, b, 'follower');
    expect(await metricOf(files, a, 'nixfleet_cp_replica_leader')).toBe(1);
    expect(await metricOf(files, b, 'nixfleet_cp_replica_leader')).toBe(0);

    const agents = Array.from(
      { length: HOSTS },
      (_, i) => new HostClients(`h-${String(i).padStart(3, '0')}`, files.pki),
    );
    const heartbeat = async (h: HostClients, port: number): Promise<number> =>
      (
        await (
          await h.to(port)
        ).request('/v1/agent/heartbeat', {
          body: {
            hostname: h.hostname,
            agent_version: '0.2.0',
            current_closure: null,
            uptime_secs: 100,
            last_event_seq_by_rollout: {},
            at: rfc3339(),
          },
        })
      ).status;

    // The follower relays to the leader (replicas-forward.test.ts covers it).
    expect(await heartbeat(agents[0]!, pb)).toBe(200);

    for (const h of agents) expect(await heartbeat(h, pa)).toBe(200);
    const dispatches = new Map<string, Dispatch>();
    // The leader paces its dispatches: poll until the budget is full.
    for (let round = 0; round < 100 && dispatches.size < BUDGET; round++) {
      for (const h of agents) {
        if (dispatches.has(h.hostname)) continue;
        const r = await (await h.to(pa)).request('/v1/agent/dispatch?wait=0');
        if (r.status === 200) dispatches.set(h.hostname, r.json<Dispatch>());
      }
      if (dispatches.size < BUDGET) await new Promise((x) => setTimeout(x, 100));
    }
    expect(dispatches.size).toBe(BUDGET);

    // Every host posts its activation's events to the leader it knows;
    // the leader is SIGKILLed once a third of them are acknowledged. An
    // event not acknowledged (error, 5xx) is retried against the other
    // replica until it is.
    const acked: string[] = [];
    const total = dispatches.size * 4;
    let killedAt = 0;
    let firstAckAfterKill = 0;
    const pump = [...dispatches].map(async ([host, d]) => {
      const h = agents.find((x) => x.hostname === host)!;
      for (const e of eventsOf(host, d)) {
        for (let attempt = 0; ; attempt++) {
          const port = killedAt === 0 ? pa : pb;
          let status = 0;
          try {
            status = (await (await h.to(port)).request('/v1/agent/events', { body: e })).status;
          } catch {
            status = 0;
          }
          if (status === 204) {
            acked.push(`${host}/${String(e['seq'])}`);
            if (killedAt !== 0 && port === pb && firstAckAfterKill === 0) {
              firstAckAfterKill = performance.now() - killedAt;
            }
            break;
          }
          expect(status === 0 || status >= 500, `${host} seq ${String(e['seq'])}: ${status}`).toBe(
            true,
          );
          if (attempt > 400) throw new Error(`${host} seq ${String(e['seq'])} never acknowledged`);
          await new Promise((x) => setTimeout(x, 50));
        }
        await new Promise((x) => setTimeout(x, 15));
      }
    });
    while (acked.length < total / 3) await new Promise((x) => setTimeout(x, 5));
    const ackedBeforeKill = [...acked];
    const issuedBeforeKill = await issuedByHost();
    a.child.kill('SIGKILL');
    killedAt = performance.now();
    const takeover = await waitForRole(files, b, 'leader', 30_000);
    await Promise.all(pump);
    const [, signal] = await a.exited;
    expect(signal).toBe('SIGKILL');
    process.stdout.write(
      `replicas: leader SIGKILLed after ${ackedBeforeKill.length}/${total} acknowledged events; the follower led ${Math.round(takeover)} ms later, first acknowledgement by it ${Math.round(firstAckAfterKill)} ms after the kill\n`,
    );
    expect(takeover).toBeLessThan(TAKEOVER_LIMIT_MS);

    // The new leader's plans start from the old leader's dispatches: the
    // budget is full with them (none converged), so it dispatches no other
    // host, and none of them again.
    await new Promise((x) => setTimeout(x, 1_500));
    const issued = await issuedByHost();
    expect(Object.keys(issuedBeforeKill)).toHaveLength(BUDGET);
    expect(issued).toEqual(issuedBeforeKill);
    expect(Object.keys(issued).sort()).toEqual([...dispatches.keys()].sort());
    expect(Object.values(issued).every((n) => n === 1)).toBe(true);

    // Nothing acknowledged is missing, and nothing is stored twice.
    const rows = await query<{ hostname: string; agent_seq: string; n: string }>(
      `SELECT hostname, agent_seq, COUNT(*) AS n FROM event_log
        WHERE rollout_id = $1 AND agent_seq IS NOT NULL AND agent_seq > 1 GROUP BY hostname, agent_seq`,
      [RID],
    );
    const stored = new Map(rows.map((r) => [`${r.hostname}/${r.agent_seq}`, Number(r.n)]));
    for (const k of ackedBeforeKill) expect(stored.get(k), k).toBe(1);
    for (const k of acked) expect(stored.get(k), k).toBe(1);
    expect(acked.length).toBe(total);

    // A third replica follows, and takes over from the second the same way.
    const c = startReplica(files, 'c', pc);
    replicas.push(c);
    await waitForRole(files, c, 'follower');
    expect((await roleOf(files, c))?.leader_url).toBe(b.url);
    b.child.kill('SIGKILL');
    const second = await waitForRole(files, c, 'leader', 30_000);
    process.stdout.write(`replicas: second takeover ${Math.round(second)} ms after the kill\n`);
    expect(second).toBeLessThan(TAKEOVER_LIMIT_MS);
    for (const h of agents) expect(await heartbeat(h, pc)).toBe(200);
    const after = await query<{ epoch: string }>('SELECT epoch FROM cp_leader', []);
    expect(Number(after[0]?.epoch)).toBe(3);
    for (const h of agents) h.close();

    mkdirSync(join(files.dir, 'tick'), { recursive: true });
    // A one-off tick decides too: it refuses while a serving replica leads.
    const tick = spawnSync(
      process.execPath,
      [
        join(import.meta.dirname, '../../bin/nixfleet-control-plane.mjs'),
        'tick',
        ...['--database-url-file', files.urlFile, '--release-dir', files.releaseDir],
        ...['--trust-file', files.trust.trustFile, '--db', join(files.dir, 'tick', 'state.db')],
        ...['--artifact-freshness-minutes', '5256000'],
      ],
      { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeout: 30_000 },
    );
    expect(tick.status, tick.stderr).toBe(1);
    expect(tick.stderr).toContain('CP_ERR_NOT_LEADER');
  }, 120_000);

  it('a leader that loses PostgreSQL answers heartbeats 503 (typed), never 2xx, and exits 1; a replica leads again once it is back', async () => {
    let leader: Replica | null = null;
    for (const r of replicas) if ((await roleOf(files, r))?.role === 'leader') leader = r;
    if (leader === null) throw new Error('no replica leads');
    const epochBefore = Number(
      (await query<{ epoch: string }>('SELECT epoch FROM cp_leader', []))[0]?.epoch,
    );
    const h = new HostClients('h-000', files.pki);
    const statuses: (number | string)[] = [];
    cluster.kill();
    const until = performance.now() + 3_000;
    let seq = 1;
    while (performance.now() < until) {
      try {
        const r = await (
          await h.to(leader.port)
        ).request('/v1/agent/heartbeat', {
          body: {
            hostname: 'h-000',
            agent_version: '0.2.0',
            current_closure: null,
            uptime_secs: seq++,
            last_event_seq_by_rollout: {},
            at: rfc3339(),
          },
          timeoutMs: 2_000,
        });
        statuses.push(r.status === 503 ? (code(r.body) ?? 503) : r.status);
      } catch {
        statuses.push('no answer');
      }
      await new Promise((x) => setTimeout(x, 50));
    }
    const [exitCode] = await leader.exited;
    h.close();
    process.stdout.write(
      `replicas: answers while PostgreSQL was lost: ${[...new Set(statuses)].join(', ')}\n`,
    );
    expect(statuses.filter((x) => typeof x === 'number')).toEqual([]);
    expect(statuses).toContain('CP_ERR_NOT_LEADER');
    expect(exitCode).toBe(1);
    expect(leader.log()).toContain('CP_ERR_NOT_LEADER');

    cluster.restart();
    const next = startReplica(files, 'd', await freePort());
    replicas.push(next);
    await waitForRole(files, next, 'leader');
    const after = await query<{ epoch: string }>('SELECT epoch FROM cp_leader', []);
    expect(Number(after[0]?.epoch)).toBe(epochBefore + 1);
  }, 60_000);
});
