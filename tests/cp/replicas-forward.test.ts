// A follower replica serves agents and operators by relaying to the leader
// (docs/design/replicas.md, "What a follower does"), with two real CP
// processes on a real PostgreSQL server: long-polls parked through the
// follower are answered when the leader dispatches, events posted through
// it are stored once, the leader's refusals and operator views come back
// verbatim, and a leader SIGKILLed under a parked long-poll makes the
// follower answer 503 CP_ERR_NOT_LEADER — never a 2xx of its own — until
// the takeover, after which requests succeed again (through a new follower
// too). Hundreds of long-polls park through one follower; a follower that
// cannot reach the leader refuses at once and reports itself unhealthy.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../../ts/contracts/index.ts';
import { startPgCluster, type PgCluster } from '../support/postgres.ts';
import { rfc3339 } from './kit/agent-sim.ts';
import { connect } from './kit/client.ts';
import { hostsIn } from './kit/harness.ts';
import { makePki } from './kit/pki.ts';
import { makeTrust, writeRelease } from './kit/release.ts';
import {
  freePort,
  HostClients,
  metricOf,
  startReplica,
  waitForRole,
  type Replica,
  type ReplicaFiles,
} from './kit/replicas.ts';

const COMMIT = 'e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0';
const RID = `stable@${COMMIT}`;
const HOSTS = 6;
const BUDGET = 2;
const FAST = ['--leader-retry-secs', '0.5'];

let cluster: PgCluster;
let dbUrl: string;
let files: ReplicaFiles;
const replicas: Replica[] = [];
let follower: Replica | null = null;
let leader: Replica | null = null;

beforeAll(async () => {
  cluster = await startPgCluster();
  dbUrl = await cluster.createDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-fwd-'));
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
    operators: { alice: { role: 'operator' } },
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

const heartbeat = (host: string) => ({
  hostname: host,
  agent_version: '0.2.0',
  current_closure: null,
  uptime_secs: 100,
  last_event_seq_by_rollout: {},
  at: rfc3339(),
});

const codeOf = (body: Buffer): string | null => {
  try {
    return (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
  } catch {
    return null;
  }
};

/** The follower's /healthz `status` and `replica.leader_reachable`. */
async function health(r: Replica): Promise<{ status: string; reachable: unknown }> {
  const c = await connect(r.port, { ca: files.pki.caPem });
  try {
    const j = (await c.request('/healthz', { noProtocol: true })).json<{
      status: string;
      replica: { leader_reachable?: unknown };
    }>();
    return { status: j.status, reachable: j.replica.leader_reachable };
  } finally {
    c.close();
  }
}

describe('a follower relays agent and operator requests to the leader', () => {
  it('serves heartbeats, long-polls, events, refusals and operator requests through the follower; 503 while the leader is gone, then serves again', async () => {
    const a = startReplica(files, 'a', await freePort(), FAST);
    replicas.push(a);
    await waitForRole(files, a, 'leader');
    const b = startReplica(files, 'b', await freePort(), FAST);
    replicas.push(b);
    await waitForRole(files, b, 'follower');
    // Healthy once it has reached the leader (not before: fail closed).
    for (let i = 0; i < 100 && (await health(b)).status !== 'ok'; i++) {
      await new Promise((x) => setTimeout(x, 100));
    }
    expect(await health(b)).toEqual({ status: 'ok', reachable: true });

    const agents = Array.from(
      { length: HOSTS },
      (_, i) => new HostClients(`h-${String(i).padStart(3, '0')}`, files.pki),
    );
    // Every agent parks a long-poll on the follower before the leader knows it.
    const t0 = performance.now();
    const polls = agents.map(async (h) => {
      const r = await (
        await h.to(b.port)
      ).request('/v1/agent/dispatch?wait=20', {
        timeoutMs: 30_000,
      });
      return { host: h.hostname, status: r.status, ms: performance.now() - t0, r };
    });
    await new Promise((x) => setTimeout(x, 500));
    for (const h of agents) {
      const r = await (
        await h.to(b.port)
      ).request('/v1/agent/heartbeat', {
        body: heartbeat(h.hostname),
      });
      expect(r.status, `${h.hostname}: ${r.body.toString()}`).toBe(200);
    }
    // A fresh database holds the rollout paused for an operator (signed
    // operators): an operator reads and resumes it through the follower.
    const op = new HostClients('operator:alice', files.pki);
    const hosts = await (await op.to(b.port)).request('/v1/hosts');
    expect(hosts.status).toBe(200);
    expect(hosts.body.toString()).toContain('"h-005"');
    const resume = await (
      await op.to(b.port)
    ).request(`/v1/rollouts/${RID}/actions`, {
      body: { action: 'resume', reason: 'through the follower' },
    });
    expect(resume.status, resume.body.toString()).toBe(200);
    // The leader dispatches the budget's worth; those parked polls answer 200.
    const answered = await Promise.race([
      (async () => {
        const got: { host: string; d: Dispatch; ms: number }[] = [];
        for (const p of polls) {
          void p.then((x) => {
            if (x.status === 200) got.push({ host: x.host, d: x.r.json<Dispatch>(), ms: x.ms });
          });
        }
        while (got.length < BUDGET) await new Promise((x) => setTimeout(x, 20));
        return got;
      })(),
      new Promise<never>((_, no) =>
        setTimeout(
          () =>
            void Promise.all(polls).then((all) =>
              no(
                new Error(
                  `no dispatch: ${all.map((x) => `${x.host} ${x.status} ${Math.round(x.ms)} ${x.r.body.toString()}`).join('; ')}\n${a.log().slice(-3000)}`,
                ),
              ),
            ),
          15_000,
        ),
      ),
    ]);
    expect(answered).toHaveLength(BUDGET);
    for (const x of answered) {
      expect(x.d.rollout_id).toBe(RID);
      // Parked, not answered at once: it waited for the heartbeats.
      expect(x.ms).toBeGreaterThan(400);
    }

    // Events through the follower: acknowledged, stored once.
    const [first] = answered;
    const host = first!.host;
    const h = agents.find((x) => x.hostname === host)!;
    const base = { rollout_id: RID, hostname: host };
    const events = [
      { kind: 'DispatchAck', seq: 2, received_at: rfc3339(), current_closure_at_dispatch: null },
      { kind: 'ActivationStarted', seq: 3, started_at: rfc3339(), switch_method: 'sandbox' },
    ].map((e) => ({ ...base, ...e }));
    for (const e of events) {
      for (let i = 0; i < 2; i++) {
        const r = await (await h.to(b.port)).request('/v1/agent/events', { body: e });
        expect(r.status, r.body.toString()).toBe(204);
      }
    }
    const rows = await query<{ agent_seq: string; n: string }>(
      `SELECT agent_seq, COUNT(*) AS n FROM event_log WHERE hostname = $1 AND rollout_id = $2 AND agent_seq > 1 GROUP BY agent_seq ORDER BY agent_seq`,
      [host, RID],
    );
    expect(rows.map((r) => [Number(r.agent_seq), Number(r.n)])).toEqual([
      [2, 1],
      [3, 1],
    ]);

    // A refusal of the leader comes back verbatim.
    const idle = agents.find((x) => !answered.some((y) => y.host === x.hostname))!;
    // A DispatchAck after ActivationStarted is not a legal transition.
    const illegal = {
      ...base,
      kind: 'DispatchAck',
      seq: 4,
      received_at: rfc3339(),
      current_closure_at_dispatch: null,
    };
    const viaFollower = await (await h.to(b.port)).request('/v1/agent/events', { body: illegal });
    const direct = await (await h.to(a.port)).request('/v1/agent/events', { body: illegal });
    expect(viaFollower.status).toBe(409);
    expect(viaFollower.status).toBe(direct.status);
    expect(viaFollower.body.toString()).toBe(direct.body.toString());

    // The signed manifest an agent verifies: the same bytes and signature
    // header through the follower, and the detached signature on request.
    const mf = await (await h.to(b.port)).request(`/v1/rollouts/${RID}`);
    const mfDirect = await (await h.to(a.port)).request(`/v1/rollouts/${RID}`);
    expect(mf.status).toBe(200);
    expect(mf.body.equals(mfDirect.body)).toBe(true);
    expect(mf.headers['x-nixfleet-signature']).toBeTruthy();
    expect(mf.headers['x-nixfleet-signature']).toBe(mfDirect.headers['x-nixfleet-signature']);
    expect(mf.headers['content-type']).toBe(mfDirect.headers['content-type']);
    const sig = await (
      await h.to(b.port)
    ).request(`/v1/rollouts/${RID}`, {
      headers: { accept: 'application/octet-stream' },
    });
    expect(sig.headers['content-type']).toBe('application/octet-stream');
    expect(sig.body.toString('base64')).toBe(mf.headers['x-nixfleet-signature']);

    // The action's answer is the leader's, as a direct one.
    const again = await (
      await op.to(b.port)
    ).request(`/v1/rollouts/${RID}/actions`, {
      body: { action: 'resume', reason: 'again' },
    });
    const againDirect = await (
      await op.to(a.port)
    ).request(`/v1/rollouts/${RID}/actions`, {
      body: { action: 'resume', reason: 'again' },
    });
    expect(again.status).toBe(againDirect.status);
    expect(again.json()).toEqual(againDirect.json());

    // The leader dies under a long-poll parked through the follower: the
    // follower answers 503 CP_ERR_NOT_LEADER, never a 2xx of its own.
    const parked = (await idle.to(b.port)).request('/v1/agent/dispatch?wait=20', {
      timeoutMs: 30_000,
    });
    await new Promise((x) => setTimeout(x, 300));
    a.child.kill('SIGKILL');
    const cut = await parked;
    expect(cut.status).toBe(503);
    expect(codeOf(cut.body)).toBe('CP_ERR_NOT_LEADER');
    await waitForRole(files, b, 'leader', 15_000);
    for (const x of agents) {
      expect(
        (
          await (
            await x.to(b.port)
          ).request('/v1/agent/heartbeat', {
            body: heartbeat(x.hostname),
          })
        ).status,
      ).toBe(200);
    }
    // A new follower relays to the new leader.
    const c = startReplica(files, 'c', await freePort(), FAST);
    replicas.push(c);
    await waitForRole(files, c, 'follower');
    const viaC = await (
      await idle.to(c.port)
    ).request('/v1/agent/heartbeat', {
      body: heartbeat(idle.hostname),
    });
    expect(viaC.status, viaC.body.toString()).toBe(200);
    const who = await (await idle.to(c.port)).request('/v1/whoami');
    expect(who.json<{ cn: string }>().cn).toBe(idle.hostname);
    for (const x of [...agents, op]) x.close();
    follower = c;
    leader = b;
  }, 120_000);

  it('parks hundreds of long-polls through one follower on the leader (beyond the per-connection and per-identity stream caps)', async () => {
    if (follower === null || leader === null) throw new Error('needs the first test');
    const n = 300;
    const many = await Promise.all(
      Array.from(
        { length: n },
        (_, i) => new HostClients(`p-${String(i).padStart(4, '0')}`, files.pki),
      ),
    );
    const t0 = performance.now();
    const polls = many.map(
      async (h) =>
        (
          await (
            await h.to(follower!.port)
          ).request('/v1/agent/dispatch?wait=6', { timeoutMs: 20_000 })
        ).status,
    );
    let parked = 0;
    for (let i = 0; i < 100 && parked < n; i++) {
      await new Promise((x) => setTimeout(x, 50));
      parked = (await metricOf(files, leader, 'nixfleet_cp_dispatch_waiters')) ?? 0;
    }
    const parkedMs = performance.now() - t0;
    const statuses = await Promise.all(polls);
    process.stdout.write(
      `replicas-forward: ${parked} of ${n} long-polls parked on the leader through one follower after ${Math.round(parkedMs)} ms\n`,
    );
    expect(parked).toBe(n);
    expect(statuses.filter((s) => s !== 204)).toEqual([]);
    for (const h of many) h.close();
  }, 60_000);

  it('a follower that cannot reach the leader answers 503 CP_ERR_NOT_LEADER naming it, and is not healthy', async () => {
    const own = await cluster.createDatabase();
    const urlFile = join(files.dir, 'database-url-2');
    writeFileSync(urlFile, `${own}\n`, { mode: 0o600 });
    const f2 = { ...files, urlFile };
    // The leader advertises a URL nothing listens at (a leader cut off from
    // its followers, as they see it).
    const dead = `https://127.0.0.1:${await freePort()}`;
    const x = startReplica(f2, 'x', await freePort(), FAST, dead);
    replicas.push(x);
    await waitForRole(f2, x, 'leader');
    const y = startReplica(f2, 'y', await freePort(), FAST);
    replicas.push(y);
    await waitForRole(f2, y, 'follower');
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await health(y)).toEqual({ status: 'starting', reachable: false });
    const h = new HostClients('h-000', files.pki);
    const t0 = performance.now();
    const r = await (
      await h.to(y.port)
    ).request('/v1/agent/heartbeat', { body: heartbeat('h-000') });
    const ms = performance.now() - t0;
    expect(r.status).toBe(503);
    expect(r.json<{ error: { code: string; details: { leader: string } } }>().error).toMatchObject({
      code: 'CP_ERR_NOT_LEADER',
      details: { leader: dead },
    });
    expect(ms).toBeLessThan(5_000);
    const c = await connect(y.port, { ca: files.pki.caPem });
    const text = (await c.request('/metrics', { noProtocol: true })).body.toString();
    c.close();
    h.close();
    expect(text).toContain(
      'nixfleet_cp_forwarded_total{outcome="unreachable",route="POST /v1/agent/heartbeat"} 1',
    );
  }, 60_000);
});
