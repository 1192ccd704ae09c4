import { describe, expect, it } from 'vitest';
import { validateContract } from '../../contracts/index.ts';
import {
  ago,
  behind,
  channel,
  closure,
  failedRollout,
  host,
  midRollout,
  NOW_MS,
} from '../../../tests/cli/support/fleet-fixtures.ts';
import {
  channelFreshness,
  closurePair,
  formatFreshness,
  holdText,
  hostStatus,
  pinMarker,
  STATUS_LABELS,
  type HostRow,
} from './labels.ts';

const ctx = { now: NOW_MS, channelStale: false };
const label = (h: HostRow, channelStale = false): string =>
  hostStatus(h, { now: NOW_MS, channelStale }).label;

describe('status label precedence', () => {
  it('is the documented order', () => {
    expect(STATUS_LABELS).toEqual([
      'Failed',
      'Quarantined',
      'PendingReboot',
      'Converged',
      'Stale',
      'InFlight',
      'Queued',
    ]);
  });

  // A host carrying every signal at once, then each signal removed in turn:
  // each step must reveal exactly the next label of the precedence.
  it('each label wins over every label below it', () => {
    let h: HostRow = behind('web-1', {
      state: 'Failed',
      quarantinedClosure: closure('q', 'web-1'),
      pendingReboot: true,
      reachable: false,
    });
    expect(label(h, true)).toBe('Failed');
    h = { ...h, state: 'Reverted' };
    expect(label(h, true)).toBe('Failed');
    h = { ...h, state: 'Deferred' };
    expect(label(h, true)).toBe('Quarantined');
    h = { ...h, quarantinedClosure: null };
    expect(label(h, true)).toBe('PendingReboot');
    h = { ...h, pendingReboot: false, state: 'Converged', currentClosure: h.declaredClosure };
    expect(label(h, true)).toBe('Converged');
    // Soaking on the declared closure is still in flight, never Converged.
    expect(label({ ...h, state: 'Soaking', reachable: true }, false)).toBe('InFlight');
    h = { ...h, state: 'Soaking' };
    h = { ...h, currentClosure: closure('old', 'web-1') };
    expect(label(h, true)).toBe('Stale'); // unreachable
    h = { ...h, reachable: true };
    expect(label(h, true)).toBe('Stale'); // channel artifact stale
    expect(label(h, false)).toBe('InFlight');
    h = { ...h, state: 'Converged' }; // converged in an older rollout, new one not dispatched
    expect(label(h, false)).toBe('Queued');
  });

  it('PendingReboot comes from pendingReboot or the Deferred state', () => {
    expect(label(behind('a', { pendingReboot: true, state: 'Soaking' }))).toBe('PendingReboot');
    expect(label(behind('a', { state: 'Deferred' }))).toBe('PendingReboot');
    // A deferred host shows pending reboot ahead of converged (book §I.7).
    expect(label(host('a', { pendingReboot: true }))).toBe('PendingReboot');
  });

  it('InFlight covers Pending, Activating and Soaking; the rest is Queued', () => {
    for (const state of ['Pending', 'Activating', 'Soaking'] as const) {
      expect(label(behind('a', { state }))).toBe('InFlight');
    }
    expect(label(behind('a', { state: null, rolloutId: null }))).toBe('Queued');
    expect(hostStatus(host('a', { declaredClosure: null, currentClosure: null }), ctx)).toEqual({
      label: 'Queued',
      detail: 'no declared closure',
    });
  });

  it('details name the reason and the time in state', () => {
    expect(hostStatus(behind('a', { state: 'Soaking', stateSince: ago(3.2) }), ctx).detail).toBe(
      'Soaking 3m12s',
    );
    expect(hostStatus(behind('a', { state: 'Reverted', stateSince: ago(4) }), ctx).detail).toBe(
      'reverted 4m',
    );
    expect(hostStatus(behind('a', { reachable: false, lastSeenAt: ago(125) }), ctx).detail).toBe(
      'offline 2h05m',
    );
    expect(hostStatus(behind('a', { reachable: false, lastSeenAt: null }), ctx).detail).toBe(
      'never seen',
    );
  });

  it('an unreachable host whose enrollment the CP refused says so, with the code and its age', () => {
    const refusal = (code: string, minutes: number) => ({
      code,
      message: 'refused',
      at: ago(minutes),
      firstAt: ago(40),
      count: 7,
    });
    const never = behind('a', {
      reachable: false,
      lastSeenAt: null,
      enrollRefusal: refusal('CP_ERR_NONCE_NOT_ALLOWED', 3),
    });
    expect(hostStatus(never, ctx)).toEqual({
      label: 'Stale',
      detail: 'enroll refused: CP_ERR_NONCE_NOT_ALLOWED 3m ago',
    });
    const offline = behind('a', {
      reachable: false,
      lastSeenAt: ago(125),
      enrollRefusal: refusal('CP_ERR_TOKEN_EXPIRED', 12),
    });
    expect(hostStatus(offline, ctx).detail).toBe(
      'offline 2h05m, enroll refused: CP_ERR_TOKEN_EXPIRED 12m ago',
    );
    // A reachable host is talking to the CP: an old refusal is not its status.
    const up = behind('a', { enrollRefusal: refusal('CP_ERR_TOKEN_EXPIRED', 12) });
    expect(hostStatus(up, ctx).detail).not.toContain('enroll refused');
  });
});

describe('a held rollout', () => {
  const queued = behind('a', { state: null, rolloutId: null });
  it('a queued host says what holds its channel instead of awaiting dispatch forever', () => {
    const cases = [
      [
        { kind: 'paused', by: 'alice', next: 'nixfleet rollout resume x' },
        'paused by operator:alice',
      ],
      [{ kind: 'paused', by: '(control-plane)', next: '' }, 'paused by the control plane'],
      [
        { kind: 'aborted', by: 'root', next: 'final; only a new release…' },
        'aborted: needs a new release',
      ],
      [
        { kind: 'halted', by: null, next: 'only a new release moves channel stable on' },
        'halted: needs a new release',
      ],
      [
        { kind: 'halted', by: null, next: 'an admin may clear it' },
        'halted: needs clear or a new release',
      ],
      [{ kind: 'awaiting-approval', by: null, next: '' }, 'wave awaits approval'],
    ] as const;
    for (const [h, detail] of cases) {
      const hold = { reason: 'r', since: null, ...h };
      expect(hostStatus(queued, { ...ctx, hold })).toEqual({ label: 'Queued', detail });
    }
    expect(hostStatus(queued, ctx).detail).toBe('awaiting dispatch');
  });
  it('prints who, how long ago, why and the way forward', () => {
    const hold = {
      kind: 'paused' as const,
      by: 'alice',
      reason: 'db migration running',
      since: ago(4),
      next: 'nixfleet rollout resume stable@3f2a9c1d',
    };
    expect(holdText(hold, NOW_MS)).toBe(
      "paused by operator:alice 4m ago: 'db migration running' — nixfleet rollout resume stable@3f2a9c1d",
    );
  });
});

describe('freshness, closures and pins', () => {
  it('a channel is stale past its window or without a verified artifact', () => {
    expect(channelFreshness(channel({ artifactSignedAt: ago(12) }), NOW_MS)).toEqual({
      ageMs: 720_000,
      windowMinutes: 1440,
      stale: false,
    });
    const old = channelFreshness(channel({ artifactSignedAt: ago(1500) }), NOW_MS);
    expect(old.stale).toBe(true);
    expect(formatFreshness(old)).toBe('STALE 25h00m old (window 24h)');
    expect(formatFreshness(channelFreshness(channel({ artifactSignedAt: null }), NOW_MS))).toBe(
      'no verified artifact',
    );
  });

  it('closure pairs and pin markers', () => {
    expect(closurePair(host('a'))).toBe('n1n1n1n');
    expect(closurePair(behind('a', { declaredClosure: closure('n2', 'a') }))).toBe(
      '01d01d0→n2n2n2n',
    );
    expect(closurePair(host('a', { currentClosure: null }))).toBe('—→n1n1n1n');
    expect(pinMarker(host('a'))).toBe('');
    expect(
      pinMarker(host('a', { pin: { commit: 'a1b2c3d4e5f6', reason: 'hold', expiresAt: null } })),
    ).toBe('🔒a1b2c3d');
  });

  it('the fixtures are valid operator API documents', () => {
    for (const s of [midRollout(), failedRollout()]) {
      expect(validateContract('api-hosts', s.hosts)).toMatchObject({ ok: true });
      expect(validateContract('api-channel', s.channel)).toMatchObject({ ok: true });
      expect(validateContract('api-rollouts', s.rollouts)).toMatchObject({ ok: true });
      expect(validateContract('api-rollout-trace', s.trace)).toMatchObject({ ok: true });
    }
  });
});
