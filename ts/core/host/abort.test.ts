// An abort reaches the agent as an advisory signal from a control plane that
// holds no signing key. The agent applies it only to its own current record
// when it runs the rollout's target, and then does exactly what a failed
// health gate does: the manifest's onHealthFailure, never anything else.
import { describe, expect, it } from 'vitest';
import type { Effect } from '../effects.ts';
import { closureOf } from '../../../tests/support/core-sim.ts';
import type { AgentEvent } from '../../contracts/index.ts';
import { remoteEventFromWire } from './from-wire.ts';
import { step } from './step.ts';
import type { HostPolicy, HostRolloutState, LocalHostEvent, OnHealthFailure } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 0, 0, 0);
const RID = 'stable@abc1234';
const TARGET = closureOf('h', 'aa');
const PRIOR = closureOf('h', 'bb');
const pol = (onHealthFailure: OnHealthFailure): HostPolicy => ({
  onHealthFailure,
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
});
const dispatch = {
  rolloutId: RID,
  hostname: 'h',
  channel: 'stable',
  wave: 0,
  targetClosure: TARGET,
  soakDueAt: T0 + 30_000,
  confirmDeadline: T0 + 360_000,
  issuedAt: T0,
  seq: 1,
};
const received = (over: { manifestTarget?: string | null }): LocalHostEvent => ({
  kind: 'DispatchReceived',
  dispatch,
  manifestTarget: TARGET,
  currentClosure: PRIOR,
  locallyQuarantined: false,
  at: T0 + 1_000,
  ...over,
});

/** Drives the agent reducer through `events`; every step must be accepted. */
function run(policy: HostPolicy, events: readonly LocalHostEvent[]): HostRolloutState {
  let s: HostRolloutState | null = null;
  for (const e of events) {
    const r = step(s, e, e.at, policy);
    if (!r.ok) throw new Error(`${e.kind}: ${r.message}`);
    s = r.state;
  }
  if (s === null) throw new Error('no record');
  return s;
}

const completed: LocalHostEvent = {
  kind: 'LocalActivationCompleted',
  observed: TARGET,
  exitCode: 0,
  at: T0 + 5_000,
};
const topology: LocalHostEvent = {
  kind: 'LocalProbeTopologyDeclared',
  probes: [{ name: 'web', kind: 'http', mode: 'enforce' }],
  at: T0 + 6_000,
};
const pass: LocalHostEvent = {
  kind: 'LocalProbeObserved',
  name: 'web',
  status: 'Pass',
  mode: 'enforce',
  failureReason: null,
  subResults: null,
  at: T0 + 7_000,
};
const soaked: LocalHostEvent = { kind: 'LocalTick', at: T0 + 40_000 };

const PATHS: Record<string, readonly LocalHostEvent[]> = {
  Activating: [received({})],
  Deferred: [received({}), { kind: 'LocalActivationDeferred', component: 'dbus', at: T0 + 5_000 }],
  Soaking: [received({}), completed, topology, pass],
  Converged: [received({}), completed, topology, pass, soaked],
  'Failed (refused)': [received({ manifestTarget: null })],
};

const aborted = (rolloutId: string, at = T0 + 50_000): LocalHostEvent => ({
  kind: 'LocalRolloutAborted',
  rolloutId,
  at,
});
const emitted = (effects: readonly Effect[]) =>
  effects.flatMap((e) => (e.kind === 'LocalEmitEvent' ? [e.payload as AgentEvent] : []));
const rollbacks = (effects: readonly Effect[]) =>
  effects.flatMap((e) => (e.kind === 'LocalFireRollbackTo' ? [e.closure] : []));

describe('abort signal × policy × host state', () => {
  // [host state, policy, resulting state, rollback target, wire policy_applied]
  const table = [
    ['Soaking', 'rollback-and-halt', 'Failed', PRIOR, 'rollback-and-halt'],
    ['Soaking', 'halt', 'Failed', null, 'halt'],
    ['Converged', 'rollback-and-halt', 'Failed', PRIOR, 'rollback-and-halt'],
    ['Converged', 'halt', 'Failed', null, 'halt'],
    ['Activating', 'rollback-and-halt', 'Activating', null, null],
    ['Activating', 'halt', 'Activating', null, null],
    ['Deferred', 'rollback-and-halt', 'Deferred', null, null],
    ['Deferred', 'halt', 'Deferred', null, null],
    ['Failed (refused)', 'rollback-and-halt', 'Failed', null, null],
    ['Failed (refused)', 'halt', 'Failed', null, null],
  ] as const;
  it.each(table)('%s under %s → %s', (from, policyName, to, rollbackTo, applied) => {
    const policy = pol(policyName);
    const s = run(policy, PATHS[from]!);
    const r = step(s, aborted(RID), T0 + 50_000, policy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.state.state).toBe(to);
    expect(rollbacks(r.effects)).toEqual(rollbackTo === null ? [] : [rollbackTo]);
    const wire = emitted(r.effects);
    if (applied === null) {
      expect(wire).toEqual([]);
      expect(r.state).toBe(s);
      return;
    }
    expect(wire).toHaveLength(1);
    expect(wire[0]).toMatchObject({
      kind: 'Failed',
      cause: 'operator-abort',
      failing_probes: [],
      sustained_duration_secs: 0,
      policy_applied: applied,
      seq: s.lastEventSeq + 1,
    });
    expect(r.state.policyApplied).toBe(applied);
    expect(r.state.failureReason).toMatch(/aborted/);
  });

  it('rolls back only to the generation it ran before the rollout, then reports Reverted', () => {
    const policy = pol('rollback-and-halt');
    const s = run(policy, PATHS.Converged!);
    const r = step(s, aborted(RID), T0 + 50_000, policy);
    if (!r.ok) throw new Error(r.message);
    expect(rollbacks(r.effects)).toEqual([s.currentClosureAtDispatch]);
    const done = step(
      r.state,
      { kind: 'LocalRollbackCompleted', revertedTo: PRIOR, exitCode: 0, at: T0 + 55_000 },
      T0 + 55_000,
      policy,
    );
    expect(done.ok && done.state.state).toBe('Reverted');
    expect(done.ok && emitted(done.effects).map((e) => e.kind)).toEqual(['RollbackComplete']);
  });

  it('halts in place when the host had no previous generation to go back to', () => {
    const policy = pol('rollback-and-halt');
    const s = run(policy, [
      {
        ...(received({}) as Extract<LocalHostEvent, { kind: 'DispatchReceived' }>),
        currentClosure: null,
      },
      completed,
      topology,
      pass,
      soaked,
    ]);
    const r = step(s, aborted(RID), T0 + 50_000, policy);
    expect(r.ok && r.state.policyApplied).toBe('halt');
    expect(r.ok && rollbacks(r.effects)).toEqual([]);
  });
});

describe('abort signals that do not apply are ignored', () => {
  it.each(['stable@0000000', 'edge@abc1234'])(
    'ignores an abort of %s, a rollout the host is not on',
    (other) => {
      const policy = pol('rollback-and-halt');
      const s = run(policy, PATHS.Converged!);
      const r = step(s, aborted(other), T0 + 50_000, policy);
      expect(r.ok && r.state).toBe(s);
      expect(r.ok && r.effects).toEqual([]);
    },
  );

  it('applies a replayed abort once: the second delivery changes nothing', () => {
    const policy = pol('rollback-and-halt');
    const s = run(policy, [...PATHS.Converged!, aborted(RID)]);
    expect(s.state).toBe('Failed');
    const again = step(s, aborted(RID, T0 + 60_000), T0 + 60_000, policy);
    expect(again.ok && again.state).toBe(s);
    expect(again.ok && rollbacks(again.effects)).toEqual([]);
    const reverted = run(policy, [
      ...PATHS.Converged!,
      aborted(RID),
      { kind: 'LocalRollbackCompleted', revertedTo: PRIOR, exitCode: 0, at: T0 + 55_000 },
    ]);
    const late = step(reverted, aborted(RID, T0 + 70_000), T0 + 70_000, policy);
    expect(late.ok && late.state).toBe(reverted);
    expect(late.ok && rollbacks(late.effects)).toEqual([]);
  });
});

describe('the CP mirror of an abort', () => {
  it('accepts the agent’s Failed(operator-abort) from Converged and refuses a health Failed there', () => {
    const policy = pol('rollback-and-halt');
    const agent = run(policy, PATHS.Converged!);
    const r = step(agent, aborted(RID), T0 + 50_000, policy);
    if (!r.ok) throw new Error(r.message);
    const wire = { ...emitted(r.effects)[0]!, rollout_id: RID, hostname: 'h' } as AgentEvent;
    const remote = remoteEventFromWire(wire);
    expect(remote).toMatchObject({ kind: 'RemoteFailed', cause: 'operator-abort' });
    const mirror = { ...agent, lastEventSeq: agent.lastEventSeq };
    const ok = step(mirror, remote!, T0 + 50_000, policy);
    expect(ok.ok && ok.state.state).toBe('Failed');
    expect(ok.ok && ok.state.policyApplied).toBe('rollback-and-halt');
    const health = step(
      mirror,
      { ...remote!, cause: 'health' } as typeof remote & object,
      T0,
      policy,
    );
    expect(health.ok).toBe(false);
  });
});
