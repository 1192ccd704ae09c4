// The control plane's only source of time. Everything that needs `now` takes
// a Clock so tests can drive time; the system clock lives here and nowhere else.

/** A source of the current instant, in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

/**
 * A manual clock starting at `start`.
 *
 * @example const clock = manualClock(Date.parse('2026-01-15T12:00:00Z')); clock.advance(60_000);
 */
export function manualClock(start: number): ManualClock {
  let t = start;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
