import { describe, expect, it } from 'vitest';
import { isRolloutId, rolloutId, ROLLOUT_ID_PATTERN } from './rollout-id.ts';

describe('rolloutId', () => {
  it('joins channel and ref', () => {
    expect(rolloutId('stable', '3f2a9c0')).toEqual({ ok: true, value: 'stable@3f2a9c0' });
    expect(isRolloutId('edge-2_x@00ff')).toBe(true);
  });

  it('refuses what the route filter refuses', () => {
    for (const [c, r] of [
      ['Stable', 'abc'],
      ['stable', 'ABC'],
      ['../x', 'abc'],
      ['stable', ''],
      ['', 'abc'],
      ['sta ble', 'abc'],
    ] as const) {
      expect(rolloutId(c, r)).toMatchObject({
        ok: false,
        error: { code: 'TRUST_ERR_INVALID_ROLLOUT_ID' },
      });
      expect(ROLLOUT_ID_PATTERN.test(`${c}@${r}`)).toBe(false);
    }
  });
});
