// skewClock's mechanism for real: libfaketime (installed by
// scripts/ensure-deps.sh) must move the wall clock a Node process sees —
// and only the wall clock.
import { describe, expect, it } from 'vitest';
import { faketimeEnv, libfaketimePath, measureClockOffset } from './faults.ts';

describe('skewClock mechanism', () => {
  it('libfaketime is installed', () => {
    expect(libfaketimePath(), 'install Debian package faketime (scripts/ensure-deps.sh)').not.toBe(
      null,
    );
  });

  it('moves Date.now() of a Node process ahead and behind', async () => {
    const ahead = await measureClockOffset((argv) => argv, faketimeEnv(7200));
    const behind = await measureClockOffset((argv) => argv, faketimeEnv(-600));
    const real = await measureClockOffset((argv) => argv, {});
    expect(Math.abs(ahead - 7200)).toBeLessThan(5);
    expect(Math.abs(behind + 600)).toBeLessThan(5);
    expect(Math.abs(real)).toBeLessThan(5);
  }, 60_000);
});
