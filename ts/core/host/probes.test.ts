import { describe, expect, it } from 'vitest';
import { pendingRecord } from './record.ts';
import { convergenceBlock } from './probes.ts';
import type { HostRolloutState } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const CLOSURE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-etcd-1';

function soaking(soakMs: number): HostRolloutState {
  const pending = pendingRecord({
    rolloutId: 'stable@3f2a9c1d',
    hostname: 'etcd-1',
    channel: 'stable',
    wave: 1,
    targetClosure: CLOSURE,
    soakDueAt: T0 + soakMs,
    confirmDeadline: T0 + 360_000,
    issuedAt: T0,
    seq: 1,
  });
  return {
    ...pending,
    state: 'Soaking',
    currentClosure: CLOSURE,
    activationCompletedAt: T0,
    probeTopology: [],
  };
}

describe('convergenceBlock while the soak runs', () => {
  it('says how much of the window is left, in operator units, not an epoch', () => {
    const block = convergenceBlock(soaking(30 * 60_000), T0 + 3 * 60_000 + 12_000 + 300, 0);
    expect(block).toMatchObject({ code: 'SOAK_NOT_ELAPSED', detail: '26m48s of 30m left' });
    expect(block?.detail).not.toMatch(/\d{10,}/);
  });

  it('is null once the window has passed', () => {
    expect(convergenceBlock(soaking(30 * 60_000), T0 + 30 * 60_000, 0)).toBeNull();
  });
});
