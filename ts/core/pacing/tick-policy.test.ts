import { describe, expect, it } from 'vitest';
import type { HeldDispatches } from './held.ts';
import type { DispatchAction } from './held.ts';
import type { PlanAction } from '../planner/types.ts';
import { initialPacer } from './pacer.ts';
import {
  admitActions,
  decideTick,
  PACED_TRIGGER,
  settleTick,
  WARMUP_ACTIONS,
  type TickObservation,
  type TickPolicyConfig,
  type TickRequest,
} from './tick-policy.ts';

const T0 = 1_700_000_000_000;
const policy: TickPolicyConfig = {
  ratePerSec: 300,
  chunk: 50,
  maxLagMs: 20,
  maxIngestMs: 25,
  warmupUntil: T0,
};

const dispatch = (rolloutId: string, hostname: string): DispatchAction =>
  ({
    kind: 'QueueDispatch',
    rolloutId,
    hostname,
    channel: 'stable',
    targetClosure: '/nix/store/00000000000000000000000000000000-x',
    issuedAt: T0,
    soakDueAt: T0,
    confirmDeadline: T0,
    wave: 0,
  }) as unknown as DispatchAction;

const heldOf = (...rollouts: string[]): HeldDispatches => ({
  plannedAt: T0,
  actions: rollouts.map((r, i) => dispatch(r, `h-${i}`)),
  basis: new Map(),
});

const obs = (o: Partial<TickObservation> = {}): TickObservation => ({
  now: T0 + 10_000,
  lagMs: 0,
  ingestP90Ms: undefined,
  held: null,
  lastDecisionsAt: T0 + 9_000,
  ...o,
});

describe('tick policy: how a tick runs', () => {
  it.each<{
    name: string;
    req: TickRequest;
    o: TickObservation;
    want: { mode: string; trigger?: string; explain?: boolean; holdRest?: boolean };
  }>([
    {
      name: 'an explicit tick is unpaced and explains',
      req: { trigger: 'manual', automatic: false },
      o: obs({ now: T0 - 1, held: heldOf('r1') }),
      want: { mode: 'unpaced', trigger: 'manual', explain: true, holdRest: false },
    },
    {
      name: 'an automatic tick during warm-up only opens and prunes',
      req: { trigger: 'startup', automatic: true },
      o: obs({ now: T0 - 1 }),
      want: { mode: 'warm-up', trigger: 'startup (warm-up)', explain: true, holdRest: false },
    },
    {
      name: 'warm-up ends at its instant',
      req: { trigger: 'startup', automatic: true },
      o: obs({ now: T0, lastDecisionsAt: null }),
      want: { mode: 'full-replan', trigger: 'startup', explain: true, holdRest: true },
    },
    {
      name: 'a paced follow-up steps the held plan',
      req: { trigger: PACED_TRIGGER, automatic: true },
      o: obs({ held: heldOf('r1') }),
      want: { mode: 'held-step', explain: false, holdRest: true },
    },
    {
      name: 'a paced follow-up with nothing held replans',
      req: { trigger: PACED_TRIGGER, automatic: true },
      o: obs(),
      want: { mode: 'full-replan', explain: false },
    },
    {
      name: 'host events of rollouts that all have held dispatches step',
      req: { trigger: 'event DispatchAck', automatic: true, rollouts: new Set(['r1', 'r2']) },
      o: obs({ held: heldOf('r1', 'r2', 'r1') }),
      want: { mode: 'held-step' },
    },
    {
      name: 'a host event of a rollout with nothing held replans',
      req: { trigger: 'event Converged', automatic: true, rollouts: new Set(['r1', 'r3']) },
      o: obs({ held: heldOf('r1', 'r2') }),
      want: { mode: 'full-replan' },
    },
    {
      name: 'a cause that names no rollout replans',
      req: { trigger: 'host online', automatic: true },
      o: obs({ held: heldOf('r1') }),
      want: { mode: 'full-replan' },
    },
    {
      name: 'an empty set of rollouts names none: replan',
      req: { trigger: 'event', automatic: true, rollouts: new Set() },
      o: obs({ held: heldOf('r1') }),
      want: { mode: 'full-replan' },
    },
    {
      name: 'interval ticks always explain',
      req: { trigger: 'interval', automatic: true },
      o: obs({ lastDecisionsAt: T0 + 9_999 }),
      want: { mode: 'full-replan', explain: true },
    },
    {
      name: 'other paced replans explain once 2 s have passed since the last explanation',
      req: { trigger: 'event', automatic: true },
      o: obs({ lastDecisionsAt: T0 + 8_000 }),
      want: { mode: 'full-replan', explain: true },
    },
    {
      name: 'and not sooner',
      req: { trigger: 'event', automatic: true },
      o: obs({ lastDecisionsAt: T0 + 8_001 }),
      want: { mode: 'full-replan', explain: false },
    },
  ])('$name', ({ req, o, want }) => {
    const d = decideTick(policy, initialPacer(policy), req, o);
    expect(d).toMatchObject(want);
  });

  it('unpaced and warm-up ticks leave the pacer, the ingest window and the rate alone', () => {
    const pacer = initialPacer(policy);
    for (const [req, now] of [
      [{ trigger: 'manual', automatic: false }, T0 + 10_000],
      [{ trigger: 'startup', automatic: true }, T0 - 1],
    ] as const) {
      const d = decideTick(policy, pacer, req, obs({ now, lagMs: 1_000, ingestP90Ms: 1_000 }));
      expect(d.pacer).toBe(pacer);
      expect(d.maxDispatches).toBe(Number.POSITIVE_INFINITY);
      expect(d.ingestConsumed).toBe(false);
      expect(d.dispatchRate).toBeNull();
      expect(settleTick(policy, d, { sent: 5, heldDispatches: 5 })).toBeNull();
    }
    expect(
      decideTick(policy, pacer, { trigger: 'startup', automatic: true }, obs({ now: T0 - 1 })).only,
    ).toBe(WARMUP_ACTIONS);
  });

  it.each([
    {
      name: 'lag over its limit halves the rate',
      lagMs: 21,
      ingestP90Ms: undefined,
      rate: 150,
      consumed: false,
    },
    {
      name: 'an ingest p90 over its limit halves it and consumes the window',
      lagMs: 0,
      ingestP90Ms: 26,
      rate: 150,
      consumed: true,
    },
    {
      name: 'an ingest p90 within the limit is consumed too',
      lagMs: 0,
      ingestP90Ms: 10,
      rate: 300,
      consumed: true,
    },
    {
      name: 'no window yet: nothing consumed',
      lagMs: 0,
      ingestP90Ms: undefined,
      rate: 300,
      consumed: false,
    },
  ])('paced ticks feed the pacer: $name', ({ lagMs, ingestP90Ms, rate, consumed }) => {
    const d = decideTick(
      policy,
      initialPacer(policy),
      { trigger: 'event', automatic: true },
      obs({ lagMs, ingestP90Ms }),
    );
    expect(d.dispatchRate).toBe(rate);
    expect(d.pacer.rate).toBe(rate);
    expect(d.ingestConsumed).toBe(consumed);
    expect(d.maxDispatches).toBe(50); // a full bucket: one chunk
  });

  it('a paced tick spends its tokens and follows up while dispatches are held', () => {
    const first = decideTick(
      policy,
      initialPacer(policy),
      { trigger: 'event', automatic: true },
      obs(),
    );
    const s = settleTick(policy, first, { sent: 50, heldDispatches: 900 });
    // 1/20 s worth at 300/s (15 hosts) is due in 50 ms.
    expect(s?.followUp).toEqual({ trigger: PACED_TRIGGER, inMs: 50 });
    const next = decideTick(
      policy,
      s?.pacer ?? first.pacer,
      { trigger: PACED_TRIGGER, automatic: true },
      obs({ now: T0 + 10_050, held: heldOf('r1') }),
    );
    expect(next.mode).toBe('held-step');
    expect(next.maxDispatches).toBe(15);
    expect(settleTick(policy, next, { sent: 15, heldDispatches: 0 })?.followUp).toBeNull();
  });
});

describe('tick policy: which planned actions a tick applies', () => {
  const open = { kind: 'OpenRollout' } as unknown as PlanAction;
  const promote = { kind: 'PromoteWave' } as unknown as PlanAction;
  const d = [1, 2, 3, 4].map((i) => dispatch('r1', `h-${i}`));

  it.each([
    {
      name: 'all within budget',
      only: null,
      max: Infinity,
      apply: [open, ...d, promote],
      held: [],
    },
    {
      name: 'the first dispatches in planner order, the rest held',
      only: null,
      max: 2,
      apply: [open, d[0], d[1], promote],
      held: [d[2], d[3]],
    },
    {
      name: 'a zero budget holds every dispatch',
      only: null,
      max: 0,
      apply: [open, promote],
      held: d,
    },
    {
      name: 'warm-up drops what it may not apply (not held)',
      only: WARMUP_ACTIONS,
      max: Infinity,
      apply: [open],
      held: [],
    },
  ])('$name', ({ only, max, apply, held }) => {
    const r = admitActions([open, ...d, promote], only, max);
    expect(r.apply).toEqual(apply);
    expect(r.held).toEqual(held);
  });
});
