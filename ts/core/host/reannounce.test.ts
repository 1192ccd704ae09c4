import { describe, expect, it } from 'vitest';
import type { Effect } from '../effects.ts';
import type { WireAgentEvent } from '../wire.ts';
import { remoteEventFromWire } from './from-wire.ts';
import { reannounceDue, type ReplayAsk } from './reannounce.ts';
import { step } from './step.ts';
import type {
  DispatchFields,
  HostEvent,
  HostPolicy,
  HostRolloutState,
  HostState,
  LocalHostEvent,
} from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const SOAK = 30 * 60_000;
const TARGET = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01';
const PRIOR = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-web-01';
const OTHER = 'cccccccccccccccccccccccccccccccc-nixos-system-web-01';
const RID = 'stable@a1b2';
const POLICY: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const DISPATCH: DispatchFields = {
  rolloutId: RID,
  hostname: 'web-01',
  channel: 'stable',
  wave: 0,
  targetClosure: TARGET,
  soakDueAt: T0 + SOAK,
  confirmDeadline: T0 + 360_000,
  issuedAt: T0,
  seq: 1,
};
const PROBES = [{ name: 'alive', kind: 'exec' as const, mode: 'enforce' as const }];
const pass = (at: number): LocalHostEvent => ({
  kind: 'LocalProbeObserved',
  name: 'alive',
  status: 'Pass',
  mode: 'enforce',
  failureReason: null,
  subResults: null,
  at,
});

/** Feeds events through the reducer; every step must be accepted. */
function fold(
  from: HostRolloutState | null,
  events: readonly { readonly event: HostEvent; readonly now: number }[],
): { state: HostRolloutState; effects: Effect[] } {
  let s = from;
  const effects: Effect[] = [];
  for (const { event, now } of events) {
    const r = step(s, event, now, POLICY);
    if (!r.ok) throw new Error(`${event.kind}: ${r.code} ${r.message}`);
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s as HostRolloutState, effects };
}

const wire = (effects: readonly Effect[]): WireAgentEvent[] =>
  effects.flatMap((e) => (e.kind === 'LocalEmitEvent' ? [e.payload] : []));

/** An agent that activated at T0+1m, soaked and converged at T0+31m. */
function converged(): HostRolloutState {
  return fold(null, [
    {
      event: {
        kind: 'DispatchReceived',
        dispatch: DISPATCH,
        manifestTarget: TARGET,
        currentClosure: PRIOR,
        locallyQuarantined: false,
        at: T0,
      },
      now: T0,
    },
    {
      event: { kind: 'LocalActivationCompleted', observed: TARGET, exitCode: 0, at: T0 + 60_000 },
      now: T0 + 60_000,
    },
    {
      event: { kind: 'LocalProbeTopologyDeclared', probes: PROBES, at: T0 + 61_000 },
      now: T0 + 61_000,
    },
    { event: pass(T0 + 62_000), now: T0 + 62_000 },
    { event: { kind: 'LocalTick', at: T0 + 31 * 60_000 }, now: T0 + 31 * 60_000 },
  ]).state;
}

const LATER = T0 + 24 * 3_600_000;

describe('reannounceDue: nothing left to replay that could rebuild the CP record', () => {
  const base = converged();
  const soaking = { ...base, state: 'Soaking' as HostState, convergedAt: null };
  const ask = (over: Partial<ReplayAsk>): ReplayAsk => ({
    record: base,
    rolloutId: RID,
    afterSeq: 1,
    replayable: [],
    ...over,
  });
  const probeResults = [{ seq: base.lastEventSeq + 1, kind: 'ProbeResult' }];
  const cases: readonly [string, ReplayAsk, boolean][] = [
    ['Converged, journal gone', ask({}), true],
    ['Soaking, journal gone', ask({ record: soaking }), true],
    [
      'only probe results sent after the loss (refused without a record)',
      ask({ replayable: probeResults }),
      true,
    ],
    [
      'the next missing event is still journaled',
      ask({ replayable: [{ seq: 2, kind: 'DispatchAck' }] }),
      false,
    ],
    [
      'the next missing event (any kind) is still journaled',
      ask({ afterSeq: 3, replayable: [{ seq: 4, kind: 'ProbeResult' }] }),
      false,
    ],
    [
      'an earlier re-announcement is replayable (its DispatchAck)',
      ask({ replayable: [{ seq: 9, kind: 'DispatchAck' }] }),
      false,
    ],
    [
      'a DispatchAck at or below afterSeq does not help',
      ask({ afterSeq: 5, replayable: [{ seq: 5, kind: 'DispatchAck' }] }),
      true,
    ],
    ['the CP holds every event', ask({ afterSeq: base.lastEventSeq }), false],
    ['another rollout', ask({ rolloutId: 'stable@ffff' }), false],
    ['no record', ask({ record: null }), false],
    ...(['Pending', 'Activating', 'Deferred', 'Failed', 'Reverted'] as const).map(
      (state): [string, ReplayAsk, boolean] => [
        `${state}: not settled on its target`,
        ask({ record: { ...base, state } }),
        false,
      ],
    ),
  ];
  for (const [name, a, due] of cases) it(name, () => expect(reannounceDue(a)).toBe(due));
});

describe('LocalReannounce: refused unless the host verifiably runs its target', () => {
  const s = converged();
  const cases: readonly [string, HostRolloutState, LocalHostEvent, string][] = [
    [
      'a closure that is not the target',
      s,
      { kind: 'LocalReannounce', observed: OTHER, basisSeq: s.lastEventSeq, at: LATER },
      'CORE_ERR_MISMATCHED_EVENT',
    ],
    [
      'an unknown current closure',
      s,
      { kind: 'LocalReannounce', observed: null, basisSeq: s.lastEventSeq, at: LATER },
      'CORE_ERR_MISMATCHED_EVENT',
    ],
    [
      'an ask judged on an older record (already re-announced)',
      s,
      { kind: 'LocalReannounce', observed: TARGET, basisSeq: s.lastEventSeq - 1, at: LATER },
      'CORE_ERR_DUPLICATE_SEQ',
    ],
    [
      'a failed record',
      { ...s, state: 'Failed', failedAt: T0 },
      { kind: 'LocalReannounce', observed: TARGET, basisSeq: s.lastEventSeq, at: LATER },
      'CORE_ERR_ILLEGAL_TRANSITION',
    ],
  ];
  for (const [name, from, event, code] of cases) {
    it(name, () => {
      const r = step(from, event, LATER, POLICY);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe(code);
    });
  }
});

describe('LocalReannounce on a converged host', () => {
  const before = converged();
  const event: LocalHostEvent = {
    kind: 'LocalReannounce',
    observed: TARGET,
    basisSeq: before.lastEventSeq,
    at: LATER,
  };
  const { state, effects } = fold(before, [{ event, now: LATER }]);

  it('emits DispatchAck and ActivationComplete with fresh seqs and soaks again from now', () => {
    expect(before.state).toBe('Converged');
    expect(wire(effects)).toEqual([
      {
        kind: 'DispatchAck',
        rollout_id: RID,
        hostname: 'web-01',
        seq: before.lastEventSeq + 1,
        received_at: '2026-05-16T01:00:00Z',
        current_closure_at_dispatch: PRIOR,
      },
      {
        kind: 'ActivationComplete',
        rollout_id: RID,
        hostname: 'web-01',
        seq: before.lastEventSeq + 2,
        completed_at: '2026-05-17T01:00:00Z',
        observed_current_closure: TARGET,
        switch_exit_code: 0,
      },
    ]);
    expect(effects.map((e) => e.kind)).toContain('LocalResetProbeCache');
    expect(state).toMatchObject({
      state: 'Soaking',
      activationCompletedAt: LATER,
      convergedAt: null,
      probes: {},
      probeTopology: null,
    });
  });

  it('converges again only on a topology and a probe pass after the re-announcement, after the soak', () => {
    const tick = (at: number) => ({ event: { kind: 'LocalTick', at } as const, now: at });
    // The soak has run out by the old activation, but not from the re-announcement; and no
    // probe result exists yet: no Converged.
    expect(wire(fold(state, [tick(LATER + SOAK)]).effects)).toEqual([]);
    const declared = fold(state, [
      {
        event: { kind: 'LocalProbeTopologyDeclared', probes: PROBES, at: LATER + 1 },
        now: LATER + 1,
      },
      { event: pass(LATER + 2), now: LATER + 2 },
    ]);
    expect(wire(fold(declared.state, [tick(LATER + SOAK - 1)]).effects)).toEqual([]);
    const done = fold(declared.state, [tick(LATER + SOAK)]);
    expect(done.state.state).toBe('Converged');
    expect(wire(done.effects).map((e) => e.kind)).toEqual(['Converged']);
  });
});

describe('the CP mirror fed the re-announcement accepts Converged only on fresh evidence', () => {
  const before = converged();
  const agent = fold(before, [
    {
      event: {
        kind: 'LocalReannounce',
        observed: TARGET,
        basisSeq: before.lastEventSeq,
        at: LATER,
      },
      now: LATER,
    },
    {
      event: { kind: 'LocalProbeTopologyDeclared', probes: PROBES, at: LATER + 1 },
      now: LATER + 1,
    },
    { event: pass(LATER + 2), now: LATER + 2 },
    { event: { kind: 'LocalTick', at: LATER + SOAK }, now: LATER + SOAK },
  ]);
  const sent = wire(agent.effects);
  const remote = (w: WireAgentEvent) => {
    const e = remoteEventFromWire(w);
    if (e === null) throw new Error(`unreadable ${w.kind}`);
    return e;
  };
  // What the CP re-creates after the wipe: a Pending record from the signed manifest,
  // dated at the DispatchAck the agent re-announced (core/observe/adopt.ts `adoption`).
  const adopted = fold(null, [
    {
      event: {
        kind: 'RemoteDispatchIssued',
        dispatch: { ...DISPATCH, issuedAt: T0, soakDueAt: T0 + SOAK },
      },
      now: LATER,
    },
  ]).state;

  it('follows the agent to Converged when every event arrives', () => {
    const cp = fold(
      adopted,
      sent.map((w) => ({ event: remote(w), now: LATER + SOAK })),
    );
    expect(cp.state.state).toBe('Converged');
    expect(cp.state.activationCompletedAt).toBe(LATER);
  });

  const converge = sent.find((w) => w.kind === 'Converged') as WireAgentEvent;
  const ackAndComplete = sent.filter(
    (w) => w.kind === 'DispatchAck' || w.kind === 'ActivationComplete',
  );
  const cases: readonly [string, readonly WireAgentEvent[], WireAgentEvent, RegExp][] = [
    ['without the probe topology', ackAndComplete, converge, /awaiting probe topology/],
    [
      'without a probe pass after the re-announced activation',
      sent.filter((w) => w.kind !== 'ProbeResult' && w.kind !== 'Converged'),
      converge,
      /awaiting first pass of enforce probe: alive/,
    ],
    [
      'before the soak measured from the re-announced activation',
      sent.filter((w) => w.kind !== 'Converged'),
      { ...converge, converged_at: '2026-05-17T01:10:00Z' } as WireAgentEvent,
      /^20m of 30m left$/,
    ],
  ];
  for (const [name, first, last, why] of cases) {
    it(`refuses Converged ${name}`, () => {
      const cp = fold(
        adopted,
        first.map((w) => ({ event: remote(w), now: LATER })),
      );
      const r = step(cp.state, remote(last), LATER + SOAK, POLICY);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe('CORE_ERR_INVARIANT_REJECTED');
        expect(r.message).toMatch(why);
      }
    });
  }
});
