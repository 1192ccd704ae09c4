// wavesInOrder reads the CP's event log. After the CP loses its database the
// agents replay their events, so a canary's Converged is recorded after a
// later wave's DispatchAck even though it happened before (seen in the
// teardown scenario): the agent's own time must decide. A real violation and
// an absence of evidence must still fail.
import { describe, expect, it } from 'vitest';
import type { ApiRolloutEvents, RolloutManifest } from '../contracts/index.ts';
import { checkNoQuarantinedDispatch, checkWavesInOrder, namesHost } from './event-log.ts';

const RID = 'stable@10bad3db977d';
const manifest = {
  hostSet: [
    { hostname: 'canary-01', waveIndex: 0 },
    { hostname: 'web-01', waveIndex: 1 },
  ],
} as unknown as RolloutManifest;
const T = Date.parse('2026-11-22T07:07:00Z');
let seq = 0;
const ev = (host: string, kind: string, recordedAt: number, agentAt: number) => ({
  seq: ++seq,
  at: new Date(recordedAt).toISOString(),
  hostname: host,
  kind: `Remote${kind}`,
  payload: { stream: 'host', rolloutId: RID, hostname: host, event: { kind, at: agentAt } },
});
type Events = ApiRolloutEvents['events'];

describe('checkWavesInOrder', () => {
  it('accepts a canary Converged replayed after the later wave acked, when it converged first', () => {
    const events: Events = [
      ev('canary-01', 'DispatchAck', T + 45_900, T + 37_800),
      ev('web-01', 'DispatchAck', T + 46_783, T + 39_278),
      ev('canary-01', 'Converged', T + 47_179, T + 38_812),
    ];
    expect(checkWavesInOrder(events, manifest, RID)).toEqual([]);
  });

  it('flags a later wave acked before the earlier wave converged', () => {
    const events: Events = [
      ev('canary-01', 'DispatchAck', T + 1_000, T + 1_000),
      ev('web-01', 'DispatchAck', T + 2_000, T + 2_000),
      ev('canary-01', 'Converged', T + 3_000, T + 3_000),
    ];
    expect(checkWavesInOrder(events, manifest, RID).join('\n')).toMatch(/wave 1 acked a dispatch/);
  });

  it('leaves out a host dispatched as catch-up (offline at its promotion, skipped by design)', () => {
    // Seen in fleet-10: four canaries enrolled after wave 0 was promoted
    // without them, were dispatched on their return and converged after
    // wave 1 had started.
    const joined = (host: string, catchUp: boolean) => ({
      seq: ++seq,
      at: new Date(T).toISOString(),
      hostname: host,
      kind: 'HostJoined',
      payload: {
        stream: 'rollout',
        event: { kind: 'HostJoined', rolloutId: RID, hostname: host, wave: 0, catchUp, at: T },
      },
    });
    const m = {
      hostSet: [...manifest.hostSet, { hostname: 'canary-02', waveIndex: 0 }],
    } as unknown as RolloutManifest;
    const events: Events = [
      ev('canary-01', 'DispatchAck', T + 1_000, T + 1_000),
      ev('canary-01', 'Converged', T + 2_000, T + 2_000),
      ev('web-01', 'DispatchAck', T + 3_000, T + 3_000),
      joined('canary-02', true),
      ev('canary-02', 'DispatchAck', T + 4_000, T + 4_000),
      ev('canary-02', 'Converged', T + 5_000, T + 5_000),
    ];
    expect(checkWavesInOrder(events, m, RID)).toEqual([]);
    // The same late Converged from a host that joined on time is a violation.
    const onTime = events.map((e) => (e.kind === 'HostJoined' ? joined('canary-02', false) : e));
    expect(checkWavesInOrder(onTime, m, RID).join('\n')).toMatch(/wave 1 acked a dispatch/);
  });

  it('fails when hosts converged but no ack is in the log', () => {
    const events: Events = [ev('canary-01', 'Converged', T, T)];
    expect(checkWavesInOrder(events, manifest, RID).join('\n')).toMatch(/no DispatchAck/);
  });
});

describe('namesHost (the decision condition)', () => {
  it.each([
    ['never seen (no heartbeat ever): canary-02; the wave waits', 'canary-02', true],
    ['offline: web-01, web-02', 'web-01', true],
    ['offline: web-01b', 'web-01', false],
    ['offline: xweb-01', 'web-01', false],
    ['offline: db.01', 'db.01', true],
    ['offline: dbx01', 'db.01', false],
  ])('%s names %s: %s', (text, host, expected) => {
    expect(namesHost(text, host)).toBe(expected);
  });
});

describe('checkNoQuarantinedDispatch', () => {
  const m3 = {
    hostSet: [
      { hostname: 'nats-01', waveIndex: 0 },
      { hostname: 'agent-01', waveIndex: 1 },
      { hostname: 'agent-02', waveIndex: 2 },
    ],
  } as unknown as RolloutManifest;

  it('holds when the canary of wave 1 reverted and wave 2 was never dispatched', () => {
    const events: Events = [
      ev('nats-01', 'DispatchAck', T + 1_000, T + 1_000),
      ev('agent-01', 'DispatchAck', T + 2_000, T + 2_000),
      ev('agent-01', 'RollbackComplete', T + 3_000, T + 3_000),
    ];
    expect(checkNoQuarantinedDispatch(events, m3, RID)).toEqual([]);
  });

  it('fails when a later wave was dispatched, judged from the earliest wave that rolled back', () => {
    const events: Events = [
      ev('agent-01', 'DispatchAck', T + 2_000, T + 2_000),
      ev('agent-02', 'DispatchAck', T + 2_500, T + 2_500),
      // The later wave's host rolled back first: the canary's wave still judges.
      ev('agent-02', 'RollbackComplete', T + 3_000, T + 3_000),
      ev('agent-01', 'RollbackComplete', T + 3_500, T + 3_500),
    ];
    expect(checkNoQuarantinedDispatch(events, m3, RID)).toEqual([
      `rollout ${RID} reverted in wave 1 (agent-01) but dispatched later-wave hosts: agent-02`,
    ]);
  });

  it('says nothing of a rollout that did not revert', () => {
    const events: Events = [ev('agent-02', 'DispatchAck', T + 2_500, T + 2_500)];
    expect(checkNoQuarantinedDispatch(events, m3, RID)).toEqual([]);
  });
});
