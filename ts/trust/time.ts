// Timestamps of the trust contracts: RFC 3339, UTC, trailing `Z`
// (CONTRACTS.md "General rules"). Pure: parses and formats, never reads the clock.

const RFC3339_UTC_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Parses an RFC 3339 UTC timestamp with a trailing `Z` into epoch
 * milliseconds; `null` when the text is not one or names an impossible date.
 *
 * @example
 *   parseTimestamp('2026-01-15T12:00:00Z') // 1768478400000
 *   parseTimestamp('2026-01-15T12:00:00+01:00') // null (not UTC)
 */
export function parseTimestamp(text: string): number | null {
  const m = RFC3339_UTC_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac] = m;
  // A leap second (:60, allowed by RFC 3339) counts as the first instant of the next minute.
  const leap = sec === '60' ? 1 : 0;
  const s = Number(sec) - leap;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), s);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March; refuse instead.
  if (
    back.getUTCFullYear() !== Number(y) ||
    back.getUTCMonth() !== Number(mo) - 1 ||
    back.getUTCDate() !== Number(d) ||
    back.getUTCHours() !== Number(h) ||
    back.getUTCMinutes() !== Number(mi) ||
    back.getUTCSeconds() !== s
  ) {
    return null;
  }
  return ms + leap * 1000 + (frac && !leap ? Math.floor(Number(`0.${frac}`) * 1000) : 0);
}

/**
 * Formats epoch milliseconds (or a Date) as RFC 3339 UTC, whole seconds, `Z`.
 *
 * @example
 *   formatTimestamp(1768478400000) // '2026-01-15T12:00:00Z'
 */
export function formatTimestamp(at: number | Date): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
