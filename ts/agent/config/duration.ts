// Duration parsing for flags and environment variables. Owns the accepted
// spellings ("250ms", "30s", "5m", "2h", "7d", bare seconds). Must never
// accept negative or non-finite values.

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration into milliseconds; bare numbers are seconds. Returns
 * `null` for anything else.
 *
 * @example parseDuration('5m') === 300_000; parseDuration('60') === 60_000
 */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = UNITS[m[2] ?? 's'] ?? 1_000;
  const ms = Math.round(n * unit);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}
