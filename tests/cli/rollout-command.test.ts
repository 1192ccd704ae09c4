import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRolloutEvents } from '../../ts/contracts/index.ts';
import { startFakeCp, type FakeCp, type Routes } from './support/fake-cp.ts';
import {
  ago,
  failedRollout,
  midRollout,
  RID,
  rollout,
  rolloutsDoc,
  wave,
} from './support/fleet-fixtures.ts';
import { makeTestPki, type TestPki } from './support/pki.ts';
import { runOp } from './support/run.ts';

let pki: TestPki;
let cp: FakeCp;

type RolloutEvent = ApiRolloutEvents['events'][number];

const events: ApiRolloutEvents = {
  rolloutId: RID,
  events: [
    { seq: 3, at: ago(9), hostname: null, kind: 'WavePromoted', payload: { from: 0, to: 1 } },
    { seq: 7, at: ago(3.5), hostname: 'etcd-1', kind: 'DispatchAck', payload: {} },
    {
      seq: 8,
      at: ago(3.2),
      hostname: 'etcd-1',
      kind: 'ActivationComplete',
      payload: { closure: 'x' },
    },
  ],
};

function routesOf(s: ReturnType<typeof midRollout>, extra: Routes = {}): Routes {
  return {
    '/v1/hosts': { json: s.hosts },
    '/v1/rollouts': { json: s.rollouts },
    '/v1/channels/stable': { json: s.channel },
    [`/v1/rollouts/${RID}/trace`]: { json: s.trace },
    [`/v1/rollouts/${RID}/events`]: (q) => ({
      json: { ...events, events: events.events.filter((e) => e.seq > Number(q.get('after') ?? 0)) },
    }),
    ...extra,
  };
}

const flags = (): string[] => [
  '--cp-url',
  cp.url,
  '--ca-cert',
  pki.caCert,
  '--client-cert',
  pki.clientCert,
  '--client-key',
  pki.clientKey,
];

beforeAll(async () => {
  pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-rollout-')));
  cp = await startFakeCp(pki, routesOf(midRollout()));
});
afterAll(async () => cp.close());

describe('nixfleet rollout', () => {
  it('list: table, --json, exit 1 when one failed', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['rollout', 'list', ...flags()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ROLLOUT\s+CHANNEL\s+STATE\s+WAVE\s+PROGRESS\s+OPENED/);
    expect(r.stdout).toMatch(/stable@3f2a9c1d\s+stable\s+Active\s+2\/2\s+2\/4 converged\s+14m ago/);
    const j = await runOp(['rollout', 'list', '--json', ...flags()]);
    expect(JSON.parse(j.stdout)).toEqual(midRollout().rollouts);
    cp.setRoutes(routesOf(failedRollout()));
    expect((await runOp(['rollout', 'list', ...flags()])).code).toBe(1);
  });

  it('hosts: one row per host with the reason it waits', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['rollout', 'hosts', RID, ...flags()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/etcd-2\s+Queued\s+—\s+\S+\s+held: budget tags=etcd 1\/1 in flight/);
    expect(r.stdout).toMatch(/etcd-1\s+Soaking\s+3m12s/);
    const j = JSON.parse((await runOp(['rollout', 'hosts', RID, '--json', ...flags()])).stdout) as {
      hosts: { hostname: string; state: string }[];
    };
    expect(j.hosts.map((h) => h.state)).toEqual(['Converged', 'Soaking', 'Queued', 'Pending']);
    cp.setRoutes(routesOf(failedRollout()));
    const f = await runOp(['rollout', 'hosts', RID, ...flags()]);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain('rollout halted: web-2 reverted');
  });

  it('hosts: unknown rollout is exit 4, malformed id exit 2', async () => {
    const r = await runOp(['rollout', 'hosts', 'stable@ffff', ...flags()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('CLI_ERR_ROLLOUT_UNKNOWN');
    const bad = await runOp(['rollout', 'hosts', 'Stable/../x', ...flags()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a rollout id');
  });

  it('events: oldest first, --after, --json', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['rollout', 'events', RID, ...flags()]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '#3  2026-05-16T01:21:00Z  -  WavePromoted  {"from":0,"to":1}',
      // Activated but not yet converged (soaking): the dispatch is still open.
      '#7  2026-05-16T01:26:30Z  etcd-1  DispatchAck  <open>',
      '#8  2026-05-16T01:26:48Z  etcd-1  ActivationComplete  {"closure":"x"}',
      '',
    ]);
    const after = await runOp(['rollout', 'events', RID, '--after', '7', ...flags()]);
    expect(after.stdout.trim().split('\n')).toHaveLength(1);
    expect(cp.requests).toContain(`/v1/rollouts/${RID}/events?after=7`);
    expect(
      JSON.parse((await runOp(['rollout', 'events', RID, '--json', ...flags()])).stdout),
    ).toEqual(events);
    expect((await runOp(['rollout', 'events', RID, '--after', '-1', ...flags()])).code).toBe(2);
  });

  it('events: <open> marks dispatches no outcome has resolved yet (a deferral stays open)', async () => {
    const ev = (seq: number, hostname: string | null, kind: string): RolloutEvent => ({
      seq,
      at: `2026-05-16T01:2${seq % 10}:00Z`,
      hostname,
      kind,
      payload: {},
    });
    const doc: ApiRolloutEvents = {
      rolloutId: RID,
      events: [
        ev(1, 'web-1', 'RemoteDispatchIssued'),
        ev(2, 'web-2', 'RemoteDispatchIssued'),
        ev(3, 'web-3', 'RemoteDispatchIssued'),
        ev(4, 'web-1', 'RemoteDispatchAck'),
        ev(5, 'web-1', 'RemoteConverged'),
        ev(6, 'web-2', 'RemoteActivationDeferred'),
        ev(7, null, 'WavePromoted'),
        ev(8, 'web-3', 'RemoteDispatchReject'),
        ev(9, 'web-3', 'RemoteDispatchIssued'),
      ],
    };
    cp.setRoutes(routesOf(midRollout(), { [`/v1/rollouts/${RID}/events`]: { json: doc } }));
    const r = await runOp(['rollout', 'events', RID, ...flags()]);
    expect(r.code).toBe(0);
    const marked = r.stdout
      .split('\n')
      .filter((l) => l.endsWith('<open>'))
      .map((l) => l.split('  ')[0]);
    expect(marked).toEqual(['#2', '#9']);
    // The JSON document stays the contract's (no markers).
    const j = await runOp(['rollout', 'events', RID, '--json', ...flags()]);
    expect(JSON.parse(j.stdout)).toEqual(doc);
  });

  it('events --follow streams new events and ends with the rollout (exit 1 when it reverted)', async () => {
    let polls = 0;
    const s = midRollout();
    cp.setRoutes(
      routesOf(s, {
        '/v1/rollouts': () => {
          polls++;
          return { json: polls < 2 ? s.rollouts : rolloutsDoc([rollout({ state: 'Reverted' })]) };
        },
      }),
    );
    const r = await runOp(['rollout', 'events', RID, '--follow', '--interval', '50ms', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stderr).toContain(`${RID} ended: Reverted`);
  });

  it('trace: decisions with codes and reasons', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['rollout', 'trace', RID, ...flags()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'hold      BUDGET_SATURATED          etcd-2  held: budget tags=etcd 1/1 in flight',
    );
  });
});

describe('nixfleet watch without a TTY', () => {
  it('--once prints one frame of the current rollout (exit 1: not every host converged yet)', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['watch', '--once', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('— stable@3f2a9c1d Active, 2/4 targeted hosts converged');
    expect(r.stdout).toContain('stable@3f2a9c1d  Active');
    expect(r.stdout).toContain('▸ wave 1');
    expect(r.stdout).toContain('tags=etcd  1/1 in flight  (saturated)');
    expect(r.stdout).toMatch(
      /etcd-2\s+hold\s+|01:29:30\s+hold\s+etcd-2\s+held: budget tags=etcd 1\/1 in flight/,
    );
  });

  it('prints a frame per change and exits with the rollout (1 on Reverted)', async () => {
    let polls = 0;
    const s = midRollout();
    const f = failedRollout();
    cp.setRoutes(
      routesOf(s, {
        '/v1/rollouts': () => {
          polls++;
          return { json: polls < 3 ? s.rollouts : f.rollouts };
        },
      }),
    );
    const r = await runOp(['watch', RID, '--interval', '50ms', ...flags()]);
    expect(r.code).toBe(1);
    const frames = r.stdout.split(/\n\n(?=stable@3f2a9c1d)/);
    expect(frames.length).toBe(2);
    expect(frames[0]).toContain('stable@3f2a9c1d  Active');
    expect(frames[1]).toContain('stable@3f2a9c1d  Reverted');
  });

  it('--json: one document with --once, else a JSON line per change ending with the rollout', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const once = await runOp(['watch', RID, '--once', '--json', ...flags()]);
    expect(once.code).toBe(1);
    const doc = JSON.parse(once.stdout) as {
      rolloutId: string;
      rollout: { state: string };
      hosts: { hostname: string; state: string; note: string }[];
      decisions: unknown[];
    };
    expect(doc.rolloutId).toBe(RID);
    expect(doc.rollout.state).toBe('Active');
    expect(doc.hosts.find((h) => h.hostname === 'etcd-2')).toMatchObject({
      state: 'Queued',
      note: 'held: budget tags=etcd 1/1 in flight',
    });
    let polls = 0;
    const s = midRollout();
    const f = failedRollout();
    cp.setRoutes(
      routesOf(s, {
        '/v1/rollouts': () => {
          polls++;
          return { json: polls < 3 ? s.rollouts : f.rollouts };
        },
      }),
    );
    const r = await runOp(['watch', RID, '--json', '--interval', '20ms', ...flags()]);
    expect(r.code).toBe(1);
    const states = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { rollout: { state: string } }).rollout.state);
    expect(states).toEqual(['Active', 'Reverted']);
  });

  it('exits 0 once a rollout reached Terminal with every host converged, 4 for an unknown id, 3 when the CP goes away', async () => {
    const terminal = (converged: number): Routes =>
      routesOf(midRollout(), {
        '/v1/rollouts': {
          json: rolloutsDoc([
            rollout({
              state: 'Terminal',
              currentWave: null,
              terminalAt: ago(1),
              waves: [wave(0, { hosts: 1, converged: 1 }), wave(1, { hosts: 3, converged })],
            }),
          ]),
        },
      });
    cp.setRoutes(terminal(3));
    expect((await runOp(['watch', RID, ...flags()])).code).toBe(0);
    // Terminal with a member skipped (never seen, offline): not every targeted host converged.
    cp.setRoutes(terminal(2));
    expect((await runOp(['watch', RID, ...flags()])).code).toBe(1);
    const unknown = await runOp(['watch', 'stable@ffff', '--once', ...flags()]);
    expect(unknown.code).toBe(4);
    expect(unknown.stdout).toContain('Rollout stable@ffff is not known');
    const args = flags();
    args[1] = 'https://127.0.0.1:1';
    const gone = await runOp(['watch', ...args]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(
      /CLI_ERR_CP_UNREACHABLE: control plane not reachable at https:\/\/127\.0\.0\.1:1: connection refused/,
    );
    expect(gone.stderr).not.toMatch(/ECONNREFUSED|pending stream/);
  });
});
