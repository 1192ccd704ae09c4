// What the mutator loads at start and what the operator views read, on
// every backend: each write op round-trips through load() and the event
// queries return what was written, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutRecord } from '../../../core/index.ts';
import type { HostRow, RevocationRow, WriteOp } from '../types.ts';
import { BACKENDS } from './backends.ts';

describe.each(BACKENDS)('storage reads: $name', (backend) => {
  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());

  it('load() returns every row kind as last written', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    const host = (hostname: string, at: number): HostRow => ({
      hostname,
      lastHeartbeatAt: at,
      currentClosure: at > 1 ? '/nix/store/abc-system' : null,
      agentVersion: '0.2.0',
      uptimeSecs: at > 1 ? 86_400 * 400 : null,
    });
    const rev = (hostname: string): RevocationRow => ({
      hostname,
      notBefore: 1_790_000_000_000,
      reason: 'lost',
      revokedBy: 'ops',
    });
    const rollout = {
      rolloutId: 'stable@ab',
      channel: 'stable',
      targetRef: 'ab',
      state: 'Active',
      currentWave: 1,
      openedAt: 1_780_000_000_123,
      terminalAt: null,
      supersededAt: null,
    } as unknown as RolloutRecord;
    const ops: WriteOp[] = [
      { op: 'upsertHost', row: host('web-01', 1) },
      { op: 'upsertHost', row: host('web-01', 2) },
      { op: 'upsertHost', row: host('web-02', 1) },
      { op: 'upsertRollout', record: rollout, holdsChannel: true, eventRef: null },
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c1', quarantinedAt: 3 },
        eventRef: null,
      },
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c2', quarantinedAt: 4 },
        eventRef: null,
      },
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'c1', quarantinedAt: 9 },
        eventRef: null,
      },
      { op: 'deleteQuarantine', channel: 'stable', closure: 'c2' },
      {
        op: 'putDispatch',
        hostname: 'web-01',
        payload: { rollout_id: 'stable@ab', n: 1 } as never,
        eventRef: null,
      },
      {
        op: 'putDispatch',
        hostname: 'web-02',
        payload: { rollout_id: 'stable@ab', n: 2 } as never,
        eventRef: null,
      },
      { op: 'deleteDispatch', hostname: 'web-02', rolloutId: 'stable@ab' },
      { op: 'replaceRevocations', rows: [rev('old-01')] },
      {
        op: 'putTokenUse',
        row: {
          nonce: 'n1',
          hostname: 'web-01',
          usedAt: 1,
          expiresAt: 2,
          fingerprint: 'fp',
          issued: 1,
        },
      },
      {
        op: 'putTokenUse',
        row: {
          nonce: 'n1',
          hostname: 'web-01',
          usedAt: 1,
          expiresAt: 2,
          fingerprint: 'fp',
          issued: 2,
        },
      },
      {
        op: 'raiseHighWater',
        row: {
          channel: 'stable',
          signedAt: '2026-06-01T10:00:00Z',
          signedAtMs: 1_780_308_000_000,
          release: 'r1',
        },
      },
    ];
    await s.commit(ops);
    await s.commit([{ op: 'replaceRevocations', rows: [rev('web-09'), rev('web-08')] }]);
    await s.close();
    const again = fx.open();
    await again.migrate();
    const state = await again.load();
    const byName = <T extends { hostname: string }>(xs: readonly T[]) =>
      [...xs].sort((a, b) => a.hostname.localeCompare(b.hostname));
    expect(byName(state.hosts)).toEqual([host('web-01', 2), host('web-02', 1)]);
    expect(state.rollouts).toEqual([{ record: rollout, holdsChannel: true }]);
    expect(state.quarantines).toEqual([{ channel: 'stable', closure: 'c1', quarantinedAt: 3 }]);
    expect(state.dispatches).toEqual([
      { hostname: 'web-01', payload: { rollout_id: 'stable@ab', n: 1 } },
    ]);
    expect(byName(state.revocations)).toEqual([rev('web-08'), rev('web-09')]);
    expect(state.tokens).toEqual([
      { nonce: 'n1', hostname: 'web-01', usedAt: 1, expiresAt: 2, fingerprint: 'fp', issued: 2 },
    ]);
    expect(state.highWater).toHaveLength(1);
    expect(state.hostRecords).toEqual([]);
    await again.close();
  });

  it('keeps the newest signedAt per channel: a write never lowers the mark', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    const row = (signedAt: string, release: string) => ({
      channel: 'stable',
      signedAt,
      signedAtMs: Date.parse(signedAt),
      release,
    });
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T11:00:00Z', 'new') }]);
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T10:00:00Z', 'old') }]);
    expect((await s.load()).highWater).toEqual([row('2026-06-01T11:00:00Z', 'new')]);
    await s.commit([{ op: 'raiseHighWater', row: row('2026-06-01T12:00:00Z', 'newer') }]);
    await s.close();
    const again = fx.open();
    await again.migrate();
    expect((await again.load()).highWater).toEqual([row('2026-06-01T12:00:00Z', 'newer')]);
    await again.close();
  });

  it('reads one rollout after a seq with a limit, and the log by stream', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    const ops: WriteOp[] = [];
    for (let i = 1; i <= 6; i++) {
      ops.push({
        op: 'appendEvent',
        id: i,
        row: {
          recordedAt: i,
          stream: i % 2 === 0 ? 'rollout' : 'host',
          rolloutId: i <= 4 ? 'stable@ab' : 'edge@cd',
          hostname: i % 2 === 0 ? null : `web-0${i}`,
          agentSeq: i % 2 === 0 ? null : i,
          kind: `K${i}`,
          body: { i },
        },
      });
    }
    const seqs = await s.commit(ops);
    const first = await s.rolloutEvents('stable@ab', { afterSeq: 0, limit: 2 });
    expect(first.map((e) => e.kind)).toEqual(['K1', 'K2']);
    const rest = await s.rolloutEvents('stable@ab', {
      afterSeq: first[1]?.seq as number,
      limit: 10,
    });
    expect(rest.map((e) => e.kind)).toEqual(['K3', 'K4']);
    expect(rest[0]).toEqual({
      seq: seqs.get(3),
      recordedAt: 3,
      stream: 'host',
      rolloutId: 'stable@ab',
      hostname: 'web-03',
      agentSeq: 3,
      kind: 'K3',
      body: { i: 3 },
    });
    expect((await s.allEvents({ streams: ['rollout'] })).map((e) => e.kind)).toEqual([
      'K2',
      'K4',
      'K6',
    ]);
    expect((await s.allEvents()).map((e) => e.kind)).toEqual(['K1', 'K2', 'K3', 'K4', 'K5', 'K6']);
    await s.close();
  });
});
