// The agent's dispatch cross-check (RFC-0005 §4.1): it acts only on a
// dispatch whose target is the signed manifest's, that it has not
// quarantined, and whose confirm deadline has not passed — past the deadline
// the CP has released the host's disruption-budget slot.
import { describe, expect, it } from 'vitest';
import type { Effect } from '../effects.ts';
import { closureOf } from '../testing/sim.ts';
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
      ? [e.payload as { kind: string; reason?: string; detail?: string | null }]
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
