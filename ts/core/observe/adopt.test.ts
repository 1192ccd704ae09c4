// Table tests of adoption: which agent events may re-create a lost record,
// and the dispatch they re-create.
import { describe, expect, it } from 'vitest';
import { applyPlanAction, emptyFleetModel } from '../applier.ts';
import type { HostPolicy, RemoteHostEvent } from '../host/types.ts';
import type { ManifestView } from '../inputs.ts';
import { adoption, eventAdoption, type FleetRead } from './adopt.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const RID = 'stable@a1b2';
const POLICY: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const wave = (soakMinutes: number) => ({
  soakMinutes,
  minSoaked: 1,
  waitForNeverSeenMinutes: null,
  allowNoEnforceProbes: false,
});
const MANIFEST: ManifestView = {
  channel: 'stable',
  channelRef: 'a1b2',
  hostSet: [
    { hostname: 'web-01', waveIndex: 0, targetClosure: 't-web-01' },
    { hostname: 'web-02', waveIndex: 1, targetClosure: 't-web-02' },
  ],
  waves: [wave(10), wave(20)],
  onHealthFailure: 'rollback-and-halt',
  disruptionBudgets: [],
};

function fleet(opts: { open?: boolean; manifest?: boolean; dispatched?: string } = {}): FleetRead {
  const model = emptyFleetModel({ retentionMs: 86_400_000 });
  if (opts.open ?? true) {
    applyPlanAction(
      model,
      {
        kind: 'OpenRollout',
        rolloutId: RID,
        channel: 'stable',
        targetRef: 'a1b2',
        waveCount: 2,
        supersedes: null,
      },
      T0,
      () => POLICY,
    );
  }
  if (opts.dispatched !== undefined) {
    applyPlanAction(
      model,
      {
        kind: 'QueueDispatch',
        rolloutId: RID,
        hostname: opts.dispatched,
        channel: 'stable',
        wave: 0,
        targetClosure: 't-web-01',
        issuedAt: T0,
        soakDueAt: T0,
        confirmDeadline: T0,
        catchUp: false,
      },
      T0,
      () => POLICY,
    );
  }
  return {
    rollouts: model.book,
    hosts: model.hosts,
    manifests: (opts.manifest ?? true) ? new Map([[RID, MANIFEST]]) : new Map(),
  };
}

const ack: RemoteHostEvent = {
  kind: 'RemoteDispatchAck',
  seq: 1,
  currentClosureAtDispatch: null,
  at: T0 + 7,
};
const started: RemoteHostEvent = {
  kind: 'RemoteActivationStarted',
  seq: 2,
  switchMethod: 'switch',
  at: T0 + 8,
};
const TIMINGS = { confirmWindowMs: 360_000 };

describe('adoption', () => {
  it.each([
    [
      'wave 0, the current wave: dated at the agent event',
      'web-01',
      { wave: 0, catchUp: false, soakDueAt: T0 + 600_000 },
    ],
    [
      'wave 1 while wave 0 runs: catch-up',
      'web-02',
      { wave: 1, catchUp: true, soakDueAt: T0 + 1_200_000 },
    ],
  ] as const)('%s', (_n, hostname, want) => {
    const d = adoption(fleet(), { rolloutId: RID, hostname, at: T0 }, TIMINGS);
    expect(d).toMatchObject({ ...want, issuedAt: T0, confirmDeadline: T0 + 360_000 });
  });
  it.each([
    ['host outside the manifest', fleet(), 'db-01'],
    ['rollout not in the book', fleet({ open: false }), 'web-01'],
    ['manifest not held', fleet({ manifest: false }), 'web-01'],
  ] as const)('refused: %s', (_n, f, hostname) => {
    expect(adoption(f, { rolloutId: RID, hostname, at: T0 }, TIMINGS)).toBeNull();
  });
});

describe('eventAdoption', () => {
  it.each([
    ['a known record needs nothing', fleet({ dispatched: 'web-01' }), ack, 'known'],
    ['a lost record adopted from its DispatchAck', fleet(), ack, 'adopt'],
    ['a lost record never adopted from a later event', fleet(), started, 'refuse'],
    ['a DispatchAck outside the manifest', fleet({ manifest: false }), ack, 'refuse'],
  ] as const)('%s', (_n, f, event, kind) => {
    const d = eventAdoption(f, RID, 'web-01', event, T0 + 99, TIMINGS);
    expect(d.kind).toBe(kind);
    if (d.kind === 'adopt') expect(d.dispatch.issuedAt).toBe(T0 + 7);
  });
});
