import { describe, expect, it } from 'vitest';
import { step } from './step.ts';
import type {
  DispatchFields,
  HostPolicy,
  HostRolloutState,
  HostState,
  RemoteHostEvent,
} from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 27, 0);
const TARGET = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01';
const PRIOR = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-web-01';
const POLICY: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const DISPATCH: DispatchFields = {
  rolloutId: 'stable@a1b2',
  hostname: 'web-01',
  channel: 'stable',
  wave: 0,
  targetClosure: TARGET,
  soakDueAt: T0 + 60_000,
  confirmDeadline: T0 + 360_000,
  issuedAt: T0,
  seq: 1,
};

function run(events: RemoteHostEvent[]): HostRolloutState {
  let s: HostRolloutState | null = null;
  for (const e of events) {
    const r = step(s, e, T0, POLICY);
    if (!r.ok) throw new Error(`${e.kind}: ${r.code} ${r.message}`);
    s = r.state;
  }
  return s as HostRolloutState;
}

const issued: RemoteHostEvent = { kind: 'RemoteDispatchIssued', dispatch: DISPATCH };
const ack: RemoteHostEvent = {
  kind: 'RemoteDispatchAck',
  seq: 2,
  currentClosureAtDispatch: PRIOR,
  at: T0 + 1,
};
const complete: RemoteHostEvent = {
  kind: 'RemoteActivationComplete',
  seq: 3,
  observed: TARGET,
  exitCode: 0,
  at: T0 + 2,
};
const topology: RemoteHostEvent = {
  kind: 'RemoteProbeTopologyDeclared',
  seq: 4,
  probes: [{ name: 'p', kind: 'http', mode: 'enforce' }],
  at: T0 + 3,
};
const pass: RemoteHostEvent = {
  kind: 'RemoteProbeResult',
  seq: 5,
  name: 'p',
  status: 'Pass',
  mode: 'enforce',
  failureReason: null,
  at: T0 + 4,
};
const converged: RemoteHostEvent = {
  kind: 'RemoteConverged',
  seq: 6,
  currentClosure: TARGET,
  at: T0 + 120_000,
};
const failed: RemoteHostEvent = {
  kind: 'RemoteFailed',
  seq: 6,
  sustainedDurationSecs: 60,
  failingProbes: ['p'],
  policyApplied: 'rollback-and-halt',
  at: T0 + 70_000,
};
const rolledBack: RemoteHostEvent = {
  kind: 'RemoteRollbackComplete',
  seq: 7,
  revertedTo: PRIOR,
  exitCode: 0,
  at: T0 + 80_000,
};
const deferred: RemoteHostEvent = {
  kind: 'RemoteActivationDeferred',
  seq: 3,
  component: 'kernel',
  at: T0 + 2,
};

/** Fixtures for each of the seven states, built through legal events. */
const FIXTURES: Record<HostState, HostRolloutState> = {
  Pending: run([issued]),
  Activating: run([issued, ack]),
  Deferred: run([issued, ack, deferred]),
  Soaking: run([issued, ack, complete, topology, pass]),
  Converged: run([issued, ack, complete, topology, pass, converged]),
  Failed: run([issued, ack, complete, topology, pass, failed]),
  Reverted: run([issued, ack, complete, topology, pass, failed, rolledBack]),
};

/** One probe event per kind, with a seq above every fixture's. */
const S = 50;
const EVENTS: Record<string, RemoteHostEvent> = {
  RemoteDispatchAck: { ...ack, seq: S } as RemoteHostEvent,
  RemoteDispatchReject: {
    kind: 'RemoteDispatchReject',
    seq: S,
    reason: 'TargetMismatch',
    detail: null,
    at: T0,
  },
  RemoteActivationStarted: {
    kind: 'RemoteActivationStarted',
    seq: S,
    switchMethod: 'systemd-run',
    at: T0,
  },
  RemoteActivationComplete: { ...complete, seq: S } as RemoteHostEvent,
  RemoteActivationFailed: {
    kind: 'RemoteActivationFailed',
    seq: S,
    exitCode: 1,
    stderrTail: 'x',
    at: T0,
  },
  RemoteActivationDeferred: { ...deferred, seq: S } as RemoteHostEvent,
  RemoteProbeTopologyDeclared: { ...topology, seq: S } as RemoteHostEvent,
  RemoteProbeObservedFirst: {
    kind: 'RemoteProbeObservedFirst',
    seq: S,
    name: 'p',
    mode: 'enforce',
    at: T0,
  },
  RemoteProbeResult: { ...pass, seq: S } as RemoteHostEvent,
  RemoteProbeFailureFirst: { kind: 'RemoteProbeFailureFirst', seq: S, name: 'p', at: T0 },
  RemoteFailed: { ...failed, seq: S } as RemoteHostEvent,
  RemoteRollbackComplete: { ...rolledBack, seq: S } as RemoteHostEvent,
  RemoteConverged: { ...converged, seq: S } as RemoteHostEvent,
};

type Expect = HostState | 'illegal';
/** Expected outcome per (state, event): the legal transition table. */
const TABLE: Record<HostState, Partial<Record<keyof typeof EVENTS, Expect>>> = {
  Pending: { RemoteDispatchAck: 'Activating', RemoteDispatchReject: 'Failed' },
  Activating: {
    RemoteActivationStarted: 'Activating',
    RemoteActivationComplete: 'Soaking',
    RemoteActivationFailed: 'Failed',
    RemoteActivationDeferred: 'Deferred',
  },
  Deferred: { RemoteActivationComplete: 'Soaking', RemoteActivationFailed: 'Failed' },
  Soaking: {
    RemoteActivationComplete: 'Soaking', // duplicate completion: idempotent
    RemoteProbeObservedFirst: 'Soaking',
    RemoteProbeResult: 'Soaking',
    RemoteProbeFailureFirst: 'Soaking',
    RemoteFailed: 'Failed',
    RemoteConverged: 'Converged',
  },
  Converged: { RemoteProbeResult: 'Converged' },
  Failed: { RemoteRollbackComplete: 'Reverted' },
  Reverted: {},
};

describe('host reducer (CP mirror): every state × every event', () => {
  for (const [state, fixture] of Object.entries(FIXTURES) as [HostState, HostRolloutState][]) {
    for (const [kind, event] of Object.entries(EVENTS)) {
      const expected: Expect = TABLE[state][kind] ?? 'illegal';
      it(`${state} + ${kind} → ${expected}`, () => {
        const r = step(fixture, event, T0 + 200_000, POLICY);
        if (expected === 'illegal') {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.code).toBe('CORE_ERR_ILLEGAL_TRANSITION');
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.state.state).toBe(expected);
        }
      });
    }
  }

  it('a record is created only by a dispatch', () => {
    const r = step(null, ack, T0, POLICY);
    expect(!r.ok && r.code).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    const d = step(null, issued, T0, POLICY);
    expect(d.ok && d.effects.map((e) => e.kind)).toEqual([
      'RecordTransition',
      'RemoteQueueDispatch',
    ]);
  });

  it('names the event by its wire kind in refusals (what the agent logs and the operator reads)', () => {
    const r = step(FIXTURES.Soaking, { ...ack, seq: 40 } as RemoteHostEvent, T0, POLICY);
    expect(!r.ok && [r.event, r.message]).toEqual([
      'DispatchAck',
      'DispatchAck is not legal in state Soaking',
    ]);
    const early = step(
      FIXTURES.Soaking,
      { ...converged, seq: 40, at: T0 + 10 } as RemoteHostEvent,
      T0,
      {
        ...POLICY,
        clockSkewSlackMs: 0,
      },
    );
    expect(!early.ok && early.event).toBe('Converged');
  });

  it('drops duplicate and out-of-order seqs', () => {
    const r = step(FIXTURES.Activating, { ...ack, seq: 2 } as RemoteHostEvent, T0, POLICY);
    expect(!r.ok && r.code).toBe('CORE_ERR_DUPLICATE_SEQ');
  });

  it('rejects a Converged report before soak, or with failing probes (409)', () => {
    const early = step(FIXTURES.Soaking, { ...converged, at: T0 + 10 } as RemoteHostEvent, T0, {
      ...POLICY,
      clockSkewSlackMs: 0,
    });
    expect(!early.ok && early.code).toBe('CORE_ERR_INVARIANT_REJECTED');
    const noTopo = run([issued, ack, complete]);
    const r = step(noTopo, { ...converged, seq: 4 } as RemoteHostEvent, T0, POLICY);
    expect(!r.ok && r.message).toContain('awaiting probe topology');
  });

  it('resets probe state on activation complete (no stale passes)', () => {
    const s = run([issued, ack, complete, topology, pass]);
    expect(Object.keys(s.probes)).toEqual(['p']);
    const again = run([issued, ack, deferred, { ...complete, seq: 4 } as RemoteHostEvent]);
    expect(again.probes).toEqual({});
    expect(again.probeTopology).toBeNull();
  });

  it("the agent's own completion corrects a later inferred one, so its replayed probe passes count", () => {
    // Orphan confirm after a CP wipe: the CP infers the activation from a
    // heartbeat 10 s after it happened, then the agent's replay arrives.
    const inferredAt = T0 + 10_000;
    const inferred: RemoteHostEvent[] = [
      issued,
      { kind: 'RemoteDispatchAck', seq: null, currentClosureAtDispatch: null, at: inferredAt },
      { ...complete, seq: null, at: inferredAt } as RemoteHostEvent,
    ];
    expect(run(inferred).activationCompletedAt).toBe(inferredAt);
    const corrected = run([...inferred, complete, topology, pass, converged]);
    expect(corrected.state).toBe('Converged');
    expect(corrected.activationCompletedAt).toBe(T0 + 2);
    // Without the correction the same replay is refused: the pass predates
    // the inferred activation.
    const stale = run([...inferred, topology, pass]);
    const refused = step(stale, converged, T0 + 200_000, POLICY);
    expect(!refused.ok && refused.message).toContain('awaiting first pass of enforce probe');
    // A later completion never moves the activation forward, and an inferred
    // one (no seq) never overrides the agent's.
    const later = step(
      FIXTURES.Soaking,
      { ...complete, seq: 40, at: T0 + 50_000 } as RemoteHostEvent,
      T0,
      POLICY,
    );
    expect(later.ok && later.state.activationCompletedAt).toBe(T0 + 2);
    const fresh = run([issued, ack, complete]);
    const inferredEarlier = step(
      fresh,
      { ...complete, seq: null, at: T0 } as RemoteHostEvent,
      T0,
      POLICY,
    );
    expect(inferredEarlier.ok && inferredEarlier.state.activationCompletedAt).toBe(T0 + 2);
  });

  it('inserts the bad closure into quarantine on RollbackComplete', () => {
    const r = step(FIXTURES.Failed, rolledBack, T0, POLICY);
    expect(r.ok && r.effects).toContainEqual({
      kind: 'RemoteInsertQuarantine',
      channel: 'stable',
      closure: TARGET,
    });
  });
});
