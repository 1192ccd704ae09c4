// The agent's dispatch cross-check (RFC-0005 §4.1): it acts only on a
// dispatch whose target is the signed manifest's, that it has not
// quarantined, and whose confirm deadline has not passed — past the deadline
// the CP has released the host's disruption-budget slot. Refusals the agent
// decided before the reducer (manifest, closure) go through the same step,
// and so does the ClosureQuarantined report of the local quarantine.
import { describe, expect, it } from 'vitest';
import type { Effect } from '../effects.ts';
import { closureOf } from '../../../tests/support/core-sim.ts';
import { step } from './step.ts';
import type { HostPolicy, LocalHostEvent } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 0, 0, 0);
const TARGET = closureOf('h', 'aa');
const PRIOR = closureOf('h', 'bb');
const policy: HostPolicy = {
  onHealthFailure: 'rollback-and-halt',
  sustainedFailureMs: 60_000,
  clockSkewSlackMs: 60_000,
};
const dispatch = {
  rolloutId: 'stable@abc1234',
  hostname: 'h',
  channel: 'stable',
  wave: 0,
  targetClosure: TARGET,
  soakDueAt: T0 + 30_000,
  confirmDeadline: T0 + 360_000,
  issuedAt: T0,
  seq: 1,
};
const received = (
  over: Partial<Extract<LocalHostEvent, { kind: 'DispatchReceived' }>>,
): LocalHostEvent => ({
  kind: 'DispatchReceived',
  dispatch,
  manifestTarget: TARGET,
  currentClosure: PRIOR,
  locallyQuarantined: false,
  at: T0 + 1_000,
  ...over,
});
const emitted = (effects: readonly Effect[]) =>
  effects.flatMap((e) =>
    e.kind === 'LocalEmitEvent'
      ? [
          e.payload as {
            kind: string;
            reason?: string;
            detail?: string | null;
            seq: number;
            [k: string]: unknown;
          },
        ]
      : [],
  );

describe('agent dispatch cross-check', () => {
  it('acks a dispatch that matches the manifest, before its deadline', () => {
    const r = step(null, received({}), T0 + 1_000, policy);
    expect(r.ok && r.state.state).toBe('Activating');
    expect(r.ok && emitted(r.effects).map((e) => e.kind)).toEqual(['DispatchAck']);
  });

  it.each([
    ['NotInManifest', { manifestTarget: null }],
    ['TargetMismatch', { manifestTarget: closureOf('h', 'cc') }],
    ['Quarantined', { locallyQuarantined: true }],
    ['Stale', { at: T0 + 360_001 }],
  ] as const)('rejects with %s and never fires the switch', (reason, over) => {
    const e = received(over);
    const r = step(null, e, e.at, policy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.state.state).toBe('Failed');
    const events = emitted(r.effects);
    expect(events.map((x) => [x.kind, x.reason])).toEqual([['DispatchReject', reason]]);
    expect(r.effects.some((x) => x.kind === 'LocalFireSwitch')).toBe(false);
    if (reason === 'Stale') expect(events[0]!.detail).toMatch(/after the confirm deadline/);
  });
});

describe('refusals decided by the agent before the reducer', () => {
  it.each([
    'ManifestUnavailable',
    'ManifestInvalid',
    'Stale',
    'ClosureUnavailable',
    'ClosureUntrusted',
  ] as const)('%s becomes a DispatchReject with its detail and the next seq', (reason) => {
    const e = received({
      manifestTarget: null,
      refusal: { reason, detail: `why ${reason}` },
    });
    const r = step(null, e, e.at, policy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.state).toMatchObject({ state: 'Failed', rejectReason: reason, lastEventSeq: 2 });
    expect(emitted(r.effects)).toEqual([
      {
        kind: 'DispatchReject',
        rollout_id: dispatch.rolloutId,
        hostname: 'h',
        seq: 2,
        rejected_at: '2026-05-16T00:00:01Z',
        reason,
        detail: `why ${reason}`,
        target_closure: TARGET,
      },
    ]);
    expect(r.effects.some((x) => x.kind === 'LocalFireSwitch')).toBe(false);
  });

  it('takes precedence over the reducer checks, including the confirm deadline', () => {
    const e = received({
      manifestTarget: closureOf('h', 'cc'),
      locallyQuarantined: true,
      at: T0 + 400_000,
      refusal: { reason: 'ClosureUntrusted', detail: 'lacks a valid signature' },
    });
    const r = step(null, e, e.at, policy);
    expect(r.ok && emitted(r.effects).map((x) => x.reason)).toEqual(['ClosureUntrusted']);
  });

  it('caps the detail at 1000 characters', () => {
    const e = received({ refusal: { reason: 'ManifestInvalid', detail: 'x'.repeat(5000) } });
    const r = step(null, e, e.at, policy);
    expect(r.ok && emitted(r.effects)[0]!.detail).toHaveLength(1000);
  });

  it('a null refusal is no refusal', () => {
    const e = received({ refusal: null });
    const r = step(null, e, e.at, policy);
    expect(r.ok && r.state.state).toBe('Activating');
  });
});

describe('LocalClosureQuarantined', () => {
  const quarantined = (
    over: Partial<Extract<LocalHostEvent, { kind: 'LocalClosureQuarantined' }>>,
  ) =>
    ({
      kind: 'LocalClosureQuarantined',
      closure: TARGET,
      quarantinedAt: T0 - 3_600_000,
      failureCount: 2,
      lastFailureAt: T0 + 1_000,
      at: T0 + 1_000,
      ...over,
    }) as const;

  it('reports ClosureQuarantined with the next seq after a Quarantined refusal', () => {
    const e = received({ locallyQuarantined: true });
    const r0 = step(null, e, e.at, policy);
    if (!r0.ok) throw new Error(r0.message);
    const r = step(r0.state, quarantined({}), T0 + 1_000, policy);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.state.state).toBe('Failed');
    expect(emitted(r.effects)).toEqual([
      {
        kind: 'ClosureQuarantined',
        rollout_id: dispatch.rolloutId,
        hostname: 'h',
        seq: 3,
        closure: TARGET,
        quarantined_at: '2026-05-15T23:00:00Z',
        failure_count: 2,
        last_failure_at: '2026-05-16T00:00:01Z',
      },
    ]);
  });

  it('reports after a failed activation, before the rollback completes', () => {
    const e = received({});
    const r0 = step(null, e, e.at, policy);
    if (!r0.ok) throw new Error(r0.message);
    const r1 = step(
      r0.state,
      { kind: 'LocalActivationFailed', exitCode: 4, stderrTail: 'boom', at: T0 + 2_000 },
      T0 + 2_000,
      policy,
    );
    if (!r1.ok) throw new Error(r1.message);
    const r2 = step(r1.state, quarantined({ at: T0 + 2_000 }), T0 + 2_000, policy);
    expect(r2.ok && emitted(r2.effects).map((x) => [x.kind, x.seq])).toEqual([
      ['ClosureQuarantined', 4],
    ]);
  });

  it('is illegal while the host is still acting on the closure', () => {
    const e = received({});
    const r0 = step(null, e, e.at, policy);
    if (!r0.ok) throw new Error(r0.message);
    const r = step(r0.state, quarantined({}), T0 + 1_000, policy);
    expect(r.ok ? null : r.code).toBe('CORE_ERR_ILLEGAL_TRANSITION');
  });

  it('refuses a closure that is not the rollout target', () => {
    const e = received({ locallyQuarantined: true });
    const r0 = step(null, e, e.at, policy);
    if (!r0.ok) throw new Error(r0.message);
    const r = step(r0.state, quarantined({ closure: PRIOR }), T0 + 1_000, policy);
    expect(r.ok ? null : r.code).toBe('CORE_ERR_MISMATCHED_EVENT');
  });
});
