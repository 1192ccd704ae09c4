// Boot recovery as a core input: one table row per persisted state and
// observation, through the real `step`, checking what is emitted (with which
// seq), the state reached and what the shell is asked to pick up again.
import { describe, expect, it } from 'vitest';
import { step } from './step.ts';
import type { DispatchFields, HostPolicy, HostRolloutState, LocalHostEvent } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 27, 0);
const TARGET = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01';
const PRIOR = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-web-01';
const OTHER = 'cccccccccccccccccccccccccccccccc-nixos-system-web-01';
const POLICY: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const HALT: HostPolicy = { ...POLICY, onHealthFailure: 'halt' };
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

function fold(events: LocalHostEvent[], policy = POLICY): HostRolloutState {
  let s: HostRolloutState | null = null;
  for (const e of events) {
    const r = step(s, e, T0 + 10, policy);
    if (!r.ok) throw new Error(`${e.kind}: ${r.code} ${r.message}`);
    s = r.state;
  }
  return s as HostRolloutState;
}

const received: LocalHostEvent = {
  kind: 'DispatchReceived',
  dispatch: DISPATCH,
  manifestTarget: TARGET,
  currentClosure: PRIOR,
  locallyQuarantined: false,
  at: T0 + 1,
};
const started: LocalHostEvent = { kind: 'LocalActivationStarted', switchMethod: 'x', at: T0 + 2 };
const failed: LocalHostEvent = {
  kind: 'LocalActivationFailed',
  exitCode: 3,
  stderrTail: 'boom',
  at: T0 + 3,
};
const done: LocalHostEvent = {
  kind: 'LocalActivationCompleted',
  observed: TARGET,
  exitCode: 0,
  at: T0 + 3,
};
const deferred: LocalHostEvent = {
  kind: 'LocalActivationDeferred',
  component: 'kernel',
  at: T0 + 3,
};
const declared: LocalHostEvent = {
  kind: 'LocalProbeTopologyDeclared',
  probes: [{ name: 'p', kind: 'http', mode: 'enforce' }],
  at: T0 + 4,
};

const activatingUnstarted = fold([received]);
const activating = fold([received, started]);
const deferredRec = fold([received, started, deferred]);
const failedRollback = fold([received, started, failed]);
const failedHalt = fold([received, started, failed], HALT);
const soakingUndeclared = fold([received, started, done]);
const soakingDeclared = fold([received, started, done, declared]);
const converged = ((): HostRolloutState => {
  const pass: LocalHostEvent = {
    kind: 'LocalProbeObserved',
    name: 'p',
    status: 'Pass',
    mode: 'enforce',
    failureReason: null,
    subResults: null,
    at: T0 + 5,
  };
  const late = T0 + 120_000;
  const r = step(
    fold([received, started, done, declared, pass]),
    { kind: 'LocalTick', at: late },
    late,
    POLICY,
  );
  if (!r.ok || r.state.state !== 'Converged') throw new Error('fixture did not converge');
  return r.state;
})();

type InFlight = Extract<LocalHostEvent, { kind: 'LocalBootObserved' }>['inFlight'];
const switchOf = (closure: string): InFlight => ({ kind: 'switch', closure, startedAt: T0 + 5 });
const rollbackTo: InFlight = { kind: 'rollback', closure: PRIOR, startedAt: T0 + 5 };

interface Row {
  readonly name: string;
  readonly record: HostRolloutState;
  readonly current: string | null;
  readonly inFlight: InFlight;
  readonly policy?: HostPolicy;
  /** Wire events emitted, in order. */
  readonly emits: readonly string[];
  readonly state: HostRolloutState['state'];
  /** Effects the shell runs besides emitting and logging. */
  readonly asks: readonly string[];
}

const ROWS: readonly Row[] = [
  {
    name: 'Activating, its switch persisted and not yet reported started',
    record: activatingUnstarted,
    current: PRIOR,
    inFlight: switchOf(TARGET),
    emits: ['ActivationStarted'],
    state: 'Activating',
    asks: ['LocalResumeActivation'],
  },
  {
    name: 'Activating, its switch persisted and reported started',
    record: activating,
    current: PRIOR,
    inFlight: switchOf(TARGET),
    emits: [],
    state: 'Activating',
    asks: ['LocalResumeActivation'],
  },
  {
    name: 'Activating, no switch persisted, current-system already on the target',
    record: activating,
    current: TARGET,
    inFlight: null,
    emits: ['ActivationComplete'],
    state: 'Soaking',
    asks: ['LocalResetProbeCache:declare'],
  },
  {
    name: 'Activating, a persisted switch of another closure, not on the target',
    record: activating,
    current: PRIOR,
    inFlight: switchOf(OTHER),
    emits: [],
    state: 'Activating',
    asks: [`LocalFireSwitch:${TARGET}`],
  },
  {
    name: 'Deferred, booted into the staged generation',
    record: deferredRec,
    current: TARGET,
    inFlight: null,
    emits: ['ActivationComplete'],
    state: 'Soaking',
    asks: ['LocalResetProbeCache:declare'],
  },
  {
    name: 'Deferred, still on the old generation',
    record: deferredRec,
    current: PRIOR,
    inFlight: null,
    emits: [],
    state: 'Deferred',
    asks: [],
  },
  {
    name: 'Failed under rollback-and-halt, the rollback persisted',
    record: failedRollback,
    current: TARGET,
    inFlight: rollbackTo,
    emits: [],
    state: 'Failed',
    asks: ['LocalResumeActivation'],
  },
  {
    name: 'Failed under rollback-and-halt, already back on the prior closure',
    record: failedRollback,
    current: PRIOR,
    inFlight: null,
    emits: ['RollbackComplete'],
    state: 'Reverted',
    asks: [],
  },
  {
    name: 'Failed under rollback-and-halt, rollback never launched',
    record: failedRollback,
    current: TARGET,
    inFlight: null,
    emits: [],
    state: 'Failed',
    asks: [`LocalFireRollbackTo:${PRIOR}`],
  },
  {
    name: 'Failed under halt: nothing to pick up',
    record: failedHalt,
    current: TARGET,
    inFlight: null,
    policy: HALT,
    emits: [],
    state: 'Failed',
    asks: [],
  },
  {
    name: 'Soaking before the topology was declared',
    record: soakingUndeclared,
    current: TARGET,
    inFlight: null,
    emits: [],
    state: 'Soaking',
    asks: ['LocalResetProbeCache:declare'],
  },
  {
    name: 'Soaking with its topology declared',
    record: soakingDeclared,
    current: TARGET,
    inFlight: null,
    emits: [],
    state: 'Soaking',
    asks: ['LocalResetProbeCache'],
  },
  {
    name: 'Converged',
    record: converged,
    current: TARGET,
    inFlight: null,
    emits: [],
    state: 'Converged',
    asks: ['LocalResetProbeCache'],
  },
];

describe('LocalBootObserved (boot recovery)', () => {
  for (const row of ROWS) {
    it(row.name, () => {
      const r = step(
        row.record,
        {
          kind: 'LocalBootObserved',
          current: row.current,
          inFlight: row.inFlight,
          switchMethod: 'x',
          at: T0 + 100,
        },
        T0 + 100,
        row.policy ?? POLICY,
      );
      if (!r.ok) throw new Error(`${r.code} ${r.message}`);
      const emitted = r.effects.flatMap((e) => (e.kind === 'LocalEmitEvent' ? [e.payload] : []));
      expect(emitted.map((e) => e.kind)).toEqual(row.emits);
      // Emitted with the record's next seqs, like any other local event.
      expect(emitted.map((e) => e.seq)).toEqual(
        emitted.map((_, i) => row.record.lastEventSeq + 1 + i),
      );
      expect(r.state.state).toBe(row.state);
      const asks = r.effects.flatMap((e) => {
        switch (e.kind) {
          case 'LocalFireSwitch':
            return [`${e.kind}:${e.target}`];
          case 'LocalFireRollbackTo':
            return [`${e.kind}:${e.closure}`];
          case 'LocalResetProbeCache':
            return [e.declare ? `${e.kind}:declare` : e.kind];
          case 'LocalResumeActivation':
            return [e.kind];
          default:
            return [];
        }
      });
      expect(asks).toEqual(row.asks);
    });
  }

  it('an ActivationStarted the CP never got carries the persisted launch time', () => {
    const r = step(
      activatingUnstarted,
      {
        kind: 'LocalBootObserved',
        current: PRIOR,
        inFlight: switchOf(TARGET),
        switchMethod: 'systemd-run',
        at: T0 + 100,
      },
      T0 + 100,
      POLICY,
    );
    if (!r.ok) throw new Error(r.message);
    expect(r.state.activationStartedAt).toBe(T0 + 5);
    const ev = r.effects.find((e) => e.kind === 'LocalEmitEvent');
    expect(ev).toMatchObject({ payload: { switch_method: 'systemd-run' } });
  });
});
