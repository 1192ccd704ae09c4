// Table tests of the heartbeat as a core input: came online (the one offline
// rule), Deferred → Soaking, and drift (replay ask, grace, orphan confirm).
import { describe, expect, it } from 'vitest';
import { applyPlanAction, emptyFleetModel, type FleetModel } from '../applier.ts';
import type { HostPolicy, HostRolloutState } from '../host/types.ts';
import type { HostLiveness, ManifestView } from '../inputs.ts';
import type { RolloutRecord } from '../rollout/types.ts';
import { DEFAULT_TIMINGS, type CoreTimings } from '../time.ts';
import type { FleetRead } from './adopt.ts';
import {
  observeHeartbeat,
  replayGraceMs,
  type HeartbeatObserved,
  type HostMemory,
} from './heartbeat.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const RID = 'stable@a1b2';
const TARGET = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01';
const OTHER = 'cccccccccccccccccccccccccccccccc-nixos-system-web-01';
const TIMINGS: CoreTimings = { ...DEFAULT_TIMINGS, heartbeatIntervalMs: 30_000 };
const POLICY: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const MANIFEST: ManifestView = {
  channel: 'stable',
  channelRef: 'a1b2',
  hostSet: [
    { hostname: 'web-01', waveIndex: 0, targetClosure: TARGET },
    { hostname: 'web-02', waveIndex: 1, targetClosure: OTHER },
  ],
  waves: [
    { soakMinutes: 5, minSoaked: 1, waitForNeverSeenMinutes: null, allowNoEnforceProbes: false },
    { soakMinutes: 5, minSoaked: 1, waitForNeverSeenMinutes: null, allowNoEnforceProbes: false },
  ],
  onHealthFailure: 'rollback-and-halt',
  disruptionBudgets: [],
};

/** A fleet with rollout RID open; `dispatched` hosts have a Pending record. */
function fleet(args: { dispatched?: readonly string[]; superseded?: boolean } = {}): {
  model: FleetModel;
  read: FleetRead;
} {
  const model = emptyFleetModel({ retentionMs: 86_400_000 });
  const open = (rolloutId: string, supersedes: string | null): void => {
    const r = applyPlanAction(
      model,
      {
        kind: 'OpenRollout',
        rolloutId,
        channel: 'stable',
        targetRef: rolloutId.split('@')[1] as string,
        waveCount: 2,
        supersedes,
      },
      T0,
      () => POLICY,
    );
    if (!r.ok) throw new Error(r.message);
  };
  open(RID, null);
  for (const hostname of args.dispatched ?? []) {
    const member = MANIFEST.hostSet.find((h) => h.hostname === hostname);
    const r = applyPlanAction(
      model,
      {
        kind: 'QueueDispatch',
        rolloutId: RID,
        hostname,
        channel: 'stable',
        wave: member?.waveIndex ?? 0,
        targetClosure: member?.targetClosure ?? TARGET,
        issuedAt: T0,
        soakDueAt: T0 + 300_000,
        confirmDeadline: T0 + 360_000,
        catchUp: false,
      },
      T0,
      () => POLICY,
    );
    if (!r.ok) throw new Error(r.message);
  }
  return {
    model,
    read: {
      // A superseded rollout as its successor leaves it (the reducer's own
      // path needs the rollout settled first; the decision reads the stamp).
      rollouts: args.superseded
        ? {
            ...model.book,
            rollouts: {
              ...model.book.rollouts,
              [RID]: { ...(model.book.rollouts[RID] as RolloutRecord), supersededAt: T0 },
            },
          }
        : model.book,
      hosts: model.hosts,
      manifests: new Map([[RID, MANIFEST]]),
    },
  };
}

/** Replaces a record's state (the decision reads only state and target). */
function setState(model: FleetModel, hostname: string, state: HostRolloutState['state']): void {
  const m = model.hosts.get(RID);
  const rec = m?.get(hostname);
  if (m === undefined || rec === undefined) throw new Error('no record');
  m.set(hostname, { ...rec, state, lastEventSeq: 3 });
}

const hb = (over: Partial<HeartbeatObserved> = {}): HeartbeatObserved => ({
  hostname: 'web-01',
  currentClosure: TARGET,
  lastSeqByRollout: new Map(),
  at: T0 + 1_000,
  ...over,
});

const memory = (over: Partial<HostMemory> = {}): HostMemory => ({
  previous: { lastHeartbeatAt: T0 },
  unreachable: false,
  replayAskedAt: () => undefined,
  orphanConfirmed: () => false,
  ...over,
});

describe('observeHeartbeat: came online (one offline rule: missedHeartbeatsOffline)', () => {
  const { read } = fleet();
  const cases: readonly [string, HostLiveness | undefined, boolean, number, number, boolean][] = [
    // name, previous, unreachable, now - T0, missedHeartbeatsOffline, expected
    ['never seen', undefined, false, 0, 3, true],
    ['marked unreachable by the sweep', { lastHeartbeatAt: T0 }, true, 1_000, 3, true],
    ['heard from one interval ago', { lastHeartbeatAt: T0 }, false, 30_000, 3, false],
    ['silent exactly three intervals', { lastHeartbeatAt: T0 }, false, 90_000, 3, false],
    ['silent past three intervals', { lastHeartbeatAt: T0 }, false, 90_001, 3, true],
    [
      'silent past three of five allowed intervals',
      { lastHeartbeatAt: T0 },
      false,
      90_001,
      5,
      false,
    ],
    ['silent past five of five', { lastHeartbeatAt: T0 }, false, 150_001, 5, true],
  ];
  it.each(cases)('%s', (_name, previous, unreachable, dt, missed, expected) => {
    const d = observeHeartbeat(read, hb(), memory({ previous, unreachable }), T0 + dt, {
      ...TIMINGS,
      missedHeartbeatsOffline: missed,
    });
    expect(d.cameOnline).toBe(expected);
  });
});

describe('observeHeartbeat: Deferred → Soaking', () => {
  const cases: readonly [
    string,
    HostRolloutState['state'],
    string | null,
    number | null,
    number | null,
  ][] = [
    // name, record state, reported closure, heartbeat `at`, expected completion `at`
    ['rebooted into the staged target', 'Deferred', TARGET, T0 + 1_000, T0 + 1_000],
    ['unreadable agent clock: now stands in', 'Deferred', TARGET, null, T0 + 5_000],
    ['still on the old closure', 'Deferred', OTHER, T0 + 1_000, null],
    ['no closure reported', 'Deferred', null, T0 + 1_000, null],
    ['not deferred', 'Soaking', TARGET, T0 + 1_000, null],
  ];
  it.each(cases)('%s', (_name, state, closure, at, expected) => {
    const { model, read } = fleet({ dispatched: ['web-01'] });
    setState(model, 'web-01', state);
    const d = observeHeartbeat(
      read,
      hb({ currentClosure: closure, at }),
      memory(),
      T0 + 5_000,
      TIMINGS,
    );
    if (expected === null) expect(d.completions).toEqual([]);
    else
      expect(d.completions).toEqual([
        {
          rolloutId: RID,
          event: {
            kind: 'RemoteActivationComplete',
            seq: null,
            observed: TARGET,
            exitCode: 0,
            at: expected,
          },
        },
      ]);
  });
});

describe('observeHeartbeat: drift, replay and orphan confirm', () => {
  const grace = replayGraceMs(TIMINGS);
  const NOW = T0 + 60_000;
  interface Case {
    readonly name: string;
    readonly host?: string;
    readonly dispatched?: readonly string[];
    readonly state?: HostRolloutState['state'];
    readonly agentSeq: number;
    readonly askedAt?: number;
    readonly confirmed?: boolean;
    readonly closure?: string;
    readonly superseded?: boolean;
    readonly expect: 'none' | 'settled' | 'ask-first' | 'ask' | 'confirm' | 'adopt-confirm';
  }
  const cases: readonly Case[] = [
    { name: 'the CP holds every event', dispatched: ['web-01'], agentSeq: 1, expect: 'settled' },
    { name: 'events missing: first ask', dispatched: ['web-01'], agentSeq: 3, expect: 'ask-first' },
    {
      name: 'asked within the grace: ask again',
      dispatched: ['web-01'],
      agentSeq: 3,
      askedAt: NOW - grace + 1,
      expect: 'ask',
    },
    {
      name: 'asked past the grace, Pending on the target: confirm',
      dispatched: ['web-01'],
      agentSeq: 3,
      askedAt: NOW - grace,
      expect: 'confirm',
    },
    {
      name: 'past the grace but on another closure: ask',
      dispatched: ['web-01'],
      agentSeq: 3,
      askedAt: NOW - grace,
      closure: OTHER,
      expect: 'ask',
    },
    {
      name: 'past the grace but the record moved on: ask',
      dispatched: ['web-01'],
      state: 'Soaking',
      agentSeq: 4,
      askedAt: NOW - grace,
      expect: 'ask',
    },
    {
      name: 'already confirmed: settled',
      dispatched: ['web-01'],
      agentSeq: 3,
      confirmed: true,
      expect: 'settled',
    },
    { name: 'lost record in the manifest: ask from 1', agentSeq: 2, expect: 'ask-first' },
    {
      name: 'lost record past the grace: adopt and confirm',
      agentSeq: 2,
      askedAt: NOW - grace,
      expect: 'adopt-confirm',
    },
    {
      name: 'lost record, host outside the manifest: nothing',
      host: 'db-01',
      agentSeq: 2,
      askedAt: NOW - grace,
      expect: 'none',
    },
    {
      name: 'superseded rollout: never confirmed',
      dispatched: ['web-01'],
      agentSeq: 3,
      askedAt: NOW - grace,
      superseded: true,
      expect: 'ask',
    },
    { name: 'unknown rollout: nothing', dispatched: ['web-01'], agentSeq: 3, expect: 'none' },
  ];
  it.each(cases)('$name', (c) => {
    const { model, read } = fleet({
      dispatched: c.dispatched ?? [],
      superseded: c.superseded ?? false,
    });
    if (c.state !== undefined) setState(model, 'web-01', c.state);
    const rid = c.name.startsWith('unknown') ? 'other@beef' : RID;
    const d = observeHeartbeat(
      read,
      hb({
        hostname: c.host ?? 'web-01',
        currentClosure: c.closure ?? TARGET,
        lastSeqByRollout: new Map([[rid, c.agentSeq]]),
        at: NOW - 500,
      }),
      memory({ replayAskedAt: () => c.askedAt, orphanConfirmed: () => c.confirmed ?? false }),
      NOW,
      TIMINGS,
    );
    const cpSeq = c.state === 'Soaking' ? 3 : 1;
    switch (c.expect) {
      case 'none':
        expect(d.drift).toEqual([]);
        expect(d.settled).toEqual([]);
        break;
      case 'settled':
        expect(d.drift).toEqual([]);
        expect(d.settled).toEqual([RID]);
        break;
      case 'ask-first':
      case 'ask':
        expect(d.drift).toEqual([
          { kind: 'ask', rolloutId: RID, replayFrom: cpSeq, first: c.expect === 'ask-first' },
        ]);
        break;
      case 'confirm':
      case 'adopt-confirm': {
        const step = d.drift[0];
        expect(d.drift).toHaveLength(1);
        expect(step?.kind).toBe('confirm');
        if (step?.kind !== 'confirm') return;
        expect(step.closure).toBe(TARGET);
        expect(step.events).toEqual([
          { kind: 'RemoteDispatchAck', seq: null, currentClosureAtDispatch: null, at: NOW - 500 },
          {
            kind: 'RemoteActivationComplete',
            seq: null,
            observed: TARGET,
            exitCode: 0,
            at: NOW - 500,
          },
        ]);
        if (c.expect === 'confirm') expect(step.adopt).toBeNull();
        else
          expect(step.adopt).toMatchObject({
            kind: 'QueueDispatch',
            rolloutId: RID,
            hostname: 'web-01',
            targetClosure: TARGET,
            issuedAt: NOW - 500,
            soakDueAt: NOW - 500 + 300_000,
          });
        break;
      }
    }
  });
});

describe('observeHeartbeat: aborted rollouts go back to the agent', () => {
  /** `read` with rollout RID carrying an abort mark. */
  const abortedRead = (read: FleetRead): FleetRead => ({
    ...read,
    rollouts: {
      ...read.rollouts,
      rollouts: {
        ...read.rollouts.rollouts,
        [RID]: {
          ...(read.rollouts.rollouts[RID] as RolloutRecord),
          aborted: { by: 'alice', reason: 'bad build', at: T0 },
        },
      },
    },
  });

  it('lists an aborted rollout the heartbeat names, and nothing else', () => {
    const { read } = fleet({ dispatched: ['web-01'] });
    const named = hb({
      lastSeqByRollout: new Map([
        [RID, 1],
        ['stable@ffff', 2],
      ]),
    });
    const d = observeHeartbeat(abortedRead(read), named, memory(), T0 + 1_000, TIMINGS);
    expect(d.aborted).toEqual([RID]);
  });

  it('lists nothing when the rollout is not aborted, or the heartbeat does not name it', () => {
    const { read } = fleet({ dispatched: ['web-01'] });
    const named = hb({ lastSeqByRollout: new Map([[RID, 1]]) });
    expect(observeHeartbeat(read, named, memory(), T0 + 1_000, TIMINGS).aborted).toEqual([]);
    expect(
      observeHeartbeat(abortedRead(read), hb(), memory(), T0 + 1_000, TIMINGS).aborted,
    ).toEqual([]);
  });
});
