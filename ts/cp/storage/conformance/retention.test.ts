// Retention (the hourly prune, ts/cp/runtime/reconcile.ts) on every backend:
// history goes, the evidence behind current state stays, and the prune
// always commits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteOp } from '../types.ts';
import { BACKENDS } from './backends.ts';

const event = (id: number, hostname: string, at: number, agentSeq = 1): WriteOp => ({
  op: 'appendEvent',
  id,
  row: {
    recordedAt: at,
    stream: 'host',
    rolloutId: 'stable@ab',
    hostname,
    agentSeq,
    kind: 'ProbeResult',
    body: {},
  },
});

describe.each(BACKENDS)('event retention: $name', (backend) => {
  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());

  it('prunes the probe failures of pruned events with them (the history view does not outlive its log)', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    const failure = (hostname: string, at: number, eventRef: number): WriteOp => ({
      op: 'insertProbeFailure',
      rolloutId: 'stable@ab',
      hostname,
      probe: 'compliance',
      controlId: 'firewall-enabled',
      framework: 'nis2',
      article: null,
      reason: null,
      observedAt: at,
      eventRef,
    });
    await s.commit([event(1, 'old-01', 1_000), failure('old-01', 1_000, 1)]);
    await s.commit([event(2, 'new-01', 9_000), failure('new-01', 9_000, 2)]);
    await s.commit([{ op: 'pruneEvents', before: 5_000 }]);
    expect((await s.probeFailures('stable@ab')).map((r) => r.hostname)).toEqual(['new-01']);
    await s.close();
  });

  it('keeps a past-retention event that current state still points at, and the prune commits', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    const seqs = await s.commit([
      event(1, 'web-01', 1_000, 1),
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'bad', quarantinedAt: 1_000 },
        eventRef: 1,
      },
    ]);
    await s.commit([event(2, 'web-01', 2_000, 2)]);
    await s.commit([event(3, 'web-01', 3_000, 3)]);
    await s.commit([
      {
        op: 'putDispatch',
        hostname: 'web-02',
        payload: { rollout_id: 'stable@ab' } as never,
        eventRef: null,
      },
    ]);
    await s.commit([{ op: 'pruneEvents', before: 5_000 }]);
    expect((await s.allEvents()).map((e) => e.seq)).toEqual([seqs.get(1)]);
    expect(await s.integrityCheck()).toBe('ok');
    await s.close();
  });

  it('runs a prune inside a batch in its place: what comes before it is pruned, what comes after is not', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    const seqs = await s.commit([
      event(1, 'old-01', 1_000),
      { op: 'pruneEvents', before: 5_000 },
      event(2, 'old-02', 2_000),
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'bad', quarantinedAt: 2_000 },
        eventRef: 2,
      },
    ]);
    expect((await s.allEvents()).map((e) => [e.seq, e.hostname])).toEqual([
      [seqs.get(2), 'old-02'],
    ]);
    expect((await s.load()).quarantines).toHaveLength(1);
    await s.close();
  });

  it('prunes expired bootstrap tokens only', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    const use = (nonce: string, expiresAt: number) => ({
      op: 'putTokenUse' as const,
      row: { nonce, hostname: 'h', usedAt: 1, expiresAt, fingerprint: null, issued: 1 },
    });
    await s.commit([use('old', 10), use('live', 100)]);
    await s.commit([{ op: 'pruneTokens', before: 50 }]);
    expect((await s.load()).tokens.map((t) => t.nonce)).toEqual(['live']);
    await s.close();
  });
});
