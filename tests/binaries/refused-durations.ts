// The duration texts every program must refuse, and why: the shared rows of
// tests/binaries/duration-flags.test.ts and tests/cli/duration-flags.test.ts.

/** Refused texts and the reason every program must give. */
export const REFUSED: readonly (readonly [string, string])[] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['-1s', 'negative'],
  ['-30', 'negative'],
  ['1h 30m', 'malformed'],
  ['30m1h', 'malformed'],
  ['1m1m', 'malformed'],
  ['1w', 'malformed'],
  ['1e3', 'malformed'],
  ['1S', 'malformed'],
  ['1h30', 'malformed'],
  ['.5s', 'malformed'],
  ['1.s', 'malformed'],
  ['ten', 'malformed'],
  ['36501d', 'overflow'],
  ['99999999999999999999d', 'overflow'],
];
