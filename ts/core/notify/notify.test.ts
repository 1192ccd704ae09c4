// The pure notification mapping: which events produce which notification,
// that every payload satisfies contracts/notification.nix, that dedupe ids
// are stable functions of the event, the held-wave rule and the backoff.
import { describe, expect, it } from 'vitest';
import { validateContract } from '../../contracts/index.ts';
import { ZERO_COUNTS } from '../rollout/derive.ts';
import type { RolloutRecord } from '../rollout/types.ts';
import {
  backoffMs,
  bootstrapNotification,
  enrolledNotification,
  heldNotifications,
  natsSubject,
  NOTIFICATION_KINDS,
  rolloutNotifications,
} from './notify.ts';

const RID = 'stable@3f2a9c1d';
const T = 1_779_000_000_000;
const rec = (over: Partial<RolloutRecord> = {}): RolloutRecord => ({
  rolloutId: RID,
  channel: 'stable',
  targetRef: '3f2a9c1d',
  state: 'Active',
  currentWave: 0,
  waveCount: 2,
  counts: ZERO_COUNTS,
  failedHalted: 0,
  acknowledged: 0,
  catchUpHosts: [],
  skipped: [],
  openedAt: T,
  waveStartedAt: T,
  lastTransitionAt: T,
  terminalAt: null,
  supersededAt: null,
  supersededBy: null,
  prunedAt: null,
  haltedBy: null,
  ...over,
});

describe('rolloutNotifications', () => {
  it('maps events and record transitions, each payload valid', () => {
    const failed = rolloutNotifications({
      rolloutId: RID,
      events: [
        {
          kind: 'HostStateChanged',
          rolloutId: RID,
          hostname: 'agent-01',
          from: 'Activating',
          to: 'Failed',
          policyApplied: 'rollback-and-halt',
          targetClosure: 'x',
          eventLogSeq: null,
          at: T,
        },
      ],
      before: rec(),
      after: rec({ haltedBy: { host: 'agent-01', policy: 'rollback-and-halt' } }),
      recordedAt: T,
    });
    expect(failed.map((n) => n.kind)).toEqual(['host_failed', 'rollout_halted']);
    for (const n of failed) expect(validateContract('notification', n).ok).toBe(true);
    expect(natsSubject('nixfleet.events', failed[0]!)).toBe('nixfleet.events.stable.host_failed');
    // Already halted: a second failure is a host event, not a second halt.
    const again = rolloutNotifications({
      rolloutId: RID,
      events: [],
      before: rec({ haltedBy: { host: 'agent-01', policy: 'rollback-and-halt' } }),
      after: rec({
        haltedBy: { host: 'agent-01', policy: 'rollback-and-halt' },
        state: 'Reverted',
      }),
      recordedAt: T + 5,
    });
    expect(again.map((n) => n.kind)).toEqual(['rollout_reverted']);
  });

  it('opening and convergence are rollout-level, info', () => {
    const made = rolloutNotifications({
      rolloutId: RID,
      events: [
        {
          kind: 'RolloutOpened',
          rolloutId: RID,
          channel: 'stable',
          targetRef: '3f2a9c1d',
          waveCount: 2,
          at: T,
        },
        { kind: 'RolloutTerminal', rolloutId: RID, skippedPending: [], at: T + 1 },
      ],
      before: undefined,
      after: rec({ state: 'Terminal', currentWave: 1 }),
      recordedAt: T + 1,
    });
    expect(made.map((n) => [n.kind, n.id, n.severity])).toEqual([
      ['rollout_opened', `rollout_opened:${RID}`, 'info'],
      ['rollout_converged', `rollout_converged:${RID}`, 'info'],
    ]);
  });

  it('derives the dedupe id from the event: the same input gives the same id', () => {
    const args = {
      rolloutId: RID,
      events: [
        {
          kind: 'WaveAdvanced' as const,
          rolloutId: RID,
          fromWave: 0,
          toWave: 1,
          skipped: [],
          skippedPending: [],
          at: T,
        },
      ],
      before: rec(),
      after: rec({ currentWave: 1 }),
      recordedAt: T,
    };
    expect(rolloutNotifications(args)).toEqual(
      rolloutNotifications({ ...args, recordedAt: T + 99 }),
    );
    expect(rolloutNotifications(args)[0]?.id).toBe(`wave_promoted:${RID}:1`);
  });
});

describe('operator actions', () => {
  it('each action is a notification naming the operator and the reason; the control plane speaks as itself', () => {
    const ev = (
      kind: 'OperatorPaused' | 'OperatorResumed' | 'OperatorAborted' | 'OperatorClearance',
      operator = 'alice',
    ) => ({
      kind,
      rolloutId: RID,
      operator,
      reason: 'db migration running',
      at: T,
    });
    const made = rolloutNotifications({
      rolloutId: RID,
      events: [
        ev('OperatorPaused'),
        ev('OperatorResumed'),
        {
          kind: 'WaveApproved',
          rolloutId: RID,
          wave: 1,
          operator: 'bob',
          reason: 'canary ok',
          at: T,
        },
        ev('OperatorAborted'),
        ev('OperatorClearance'),
        ev('OperatorPaused', '(control-plane)'),
      ],
      before: rec(),
      after: rec(),
      recordedAt: T,
    });
    expect(made.map((n) => [n.kind, n.severity])).toEqual([
      ['rollout_paused', 'warning'],
      ['rollout_resumed', 'info'],
      ['wave_approved', 'info'],
      ['rollout_aborted', 'critical'],
      ['rollout_cleared', 'info'],
      ['rollout_paused', 'warning'],
    ]);
    expect(made[0]?.summary).toBe(
      `rollout ${RID} paused by operator:alice: 'db migration running'`,
    );
    expect(made[0]?.details).toEqual({ operator: 'alice', reason: 'db migration running' });
    expect(made[2]?.id).toBe(`wave_approved:${RID}:1`);
    expect(made[5]?.summary).toBe(
      `rollout ${RID} paused by the control plane: 'db migration running'`,
    );
    for (const n of made) expect(validateContract('notification', n).ok).toBe(true);
  });
});

describe('other sources', () => {
  it('enrollment and trust alerts are fleet-wide; an enrollment failure is not an alert', () => {
    const e = enrolledNotification({ hostname: 'agent-17', nonce: 'ab'.repeat(16), at: T });
    expect(validateContract('notification', e).ok).toBe(true);
    expect(natsSubject('x', e)).toBe('x._fleet.host_enrolled');
    const trust = bootstrapNotification({
      hostname: 'agent-02',
      event: { kind: 'TrustError', code: 'AGENT_ERR_TRUST_FILE', message: 'bad schemaVersion' },
      at: T,
    });
    expect(trust?.severity).toBe('critical');
    expect(validateContract('notification', trust).ok).toBe(true);
    expect(
      bootstrapNotification({
        hostname: 'agent-02',
        event: { kind: 'EnrollmentFailed', code: 'X', message: 'y' },
        at: T,
      }),
    ).toBeNull();
  });

  it('a live wave older than the threshold is held, once per wave id', () => {
    const book = {
      rollouts: {
        [RID]: rec(),
        'edge@aa': rec({ rolloutId: 'edge@aa', channel: 'edge', state: 'Reverted' }),
      },
      activeByChannel: {},
    };
    expect(heldNotifications(book, T + 29 * 60_000, 30 * 60_000)).toEqual([]);
    const held = heldNotifications(book, T + 31 * 60_000, 30 * 60_000);
    expect(held.map((n) => n.id)).toEqual([`rollout_held:${RID}:0`]);
    expect(heldNotifications(book, T + 60 * 60_000, 30 * 60_000)[0]?.id).toBe(held[0]?.id);
  });

  it('every kind has a severity row', () => {
    for (const [, v] of Object.entries(NOTIFICATION_KINDS))
      expect(v.severity).toMatch(/info|warning|critical/);
  });
});

describe('backoffMs', () => {
  it('doubles from the base, stays under the cap, jitters within half of it', () => {
    const p = { baseMs: 1_000, maxMs: 60_000 };
    expect(backoffMs(1, p, 0)).toBe(500);
    expect(backoffMs(1, p, 0.999999)).toBe(1_000);
    expect(backoffMs(4, p, 0.5)).toBe(6_000);
    expect(backoffMs(30, p, 1)).toBe(60_000);
    expect(backoffMs(30, p, 0)).toBe(30_000);
  });
});
