// The one duration grammar of every flag, environment variable and config
// key of nixfleet, nixfleet-control-plane and nixfleet-agent
// (docs/operators.md "Durations"). Pure: each program maps a refusal to its
// own error code (CLI_ERR_USAGE, CP_ERR_CONFIG, AGENT_ERR_CONFIG).
//
//   duration := number                       (in the flag's documented unit)
//             | (number unit)+               (units descending, each once)
//   number   := digits ("." digits)?
//   unit     := "d" | "h" | "m" | "s" | "ms"

/** A unit of the grammar; also the unit a flag gives a plain number. */
export type DurationUnit = 'd' | 'h' | 'm' | 's' | 'ms';

/** Milliseconds in one of each unit. */
export const UNIT_MS: Readonly<Record<DurationUnit, number>> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};
// Descending order: `1h30m` is accepted, `30m1h` and `1m1m` are typos.
const ORDER: readonly DurationUnit[] = ['d', 'h', 'm', 's', 'ms'];

/** Why a text is not an acceptable duration; callers branch on it. */
export type DurationErrorReason =
  'empty' | 'malformed' | 'negative' | 'overflow' | 'below-minimum' | 'above-maximum';

/** A refused duration: the reason and an operator-facing explanation. */
export interface DurationError {
  readonly ok: false;
  readonly reason: DurationErrorReason;
  /** Says what is wrong and how to write it; for humans, never for branching. */
  readonly message: string;
}

/** A parsed duration in whole milliseconds, or why it was refused. */
export type DurationResult = { readonly ok: true; readonly ms: number } | DurationError;

/** What one flag accepts. */
export interface DurationSpec {
  /** Unit of a plain number (`--long-poll-secs 30` is 30 s). */
  readonly bareUnit: DurationUnit;
  /** Smallest accepted value in ms (default 0). */
  readonly minMs?: number;
  /** Largest accepted value in ms (default: none below the overflow bound). */
  readonly maxMs?: number;
}

/** The examples every refusal shows. */
export const DURATION_EXAMPLES = '90s, 1m30s, 1.5m, 2h, 500ms, 7d';

// Far beyond any timer Node can arm (2^31-1 ms) yet still exact in a double.
const OVERFLOW_MS = 100 * 365 * 86_400_000;

const NUMBER = '(\\d+(?:\\.\\d+)?)';
const BARE_RE = new RegExp(`^${NUMBER}$`);
const TERM_RE = new RegExp(`${NUMBER}(ms|d|h|m|s)`, 'gy');

/**
 * Parses a duration into whole milliseconds (rounded to the nearest ms).
 *
 * @example parseDuration('1m30s', { bareUnit: 's' }) // { ok: true, ms: 90_000 }
 * @example parseDuration('30', { bareUnit: 's' })    // { ok: true, ms: 30_000 }
 */
export function parseDuration(text: string, spec: DurationSpec): DurationResult {
  const t = text.trim();
  if (t === '') return refuse('empty', 'is empty');
  if (t.startsWith('-')) return refuse('negative', `${quote(text)} is negative`);
  const raw = sumTerms(t, spec.bareUnit);
  if (raw === null) return refuse('malformed', `${quote(text)} is not a duration`);
  if (!Number.isFinite(raw) || raw > OVERFLOW_MS) {
    return refuse('overflow', `${quote(text)} is longer than 100 years`);
  }
  const ms = Math.round(raw);
  const min = spec.minMs ?? 0;
  if (ms < min) {
    return refuse('below-minimum', `${quote(text)} is below the minimum ${formatDuration(min)}`);
  }
  if (spec.maxMs !== undefined && ms > spec.maxMs) {
    return refuse(
      'above-maximum',
      `${quote(text)} is above the maximum ${formatDuration(spec.maxMs)}`,
    );
  }
  return { ok: true, ms };
}

function sumTerms(t: string, bareUnit: DurationUnit): number | null {
  const bare = BARE_RE.exec(t);
  if (bare) return Number(bare[1]) * UNIT_MS[bareUnit];
  let total = 0;
  let pos = 0;
  let last = -1;
  TERM_RE.lastIndex = 0;
  for (let m = TERM_RE.exec(t); m !== null; m = TERM_RE.exec(t)) {
    const rank = ORDER.indexOf(m[2] as DurationUnit);
    if (rank <= last) return null;
    last = rank;
    total += Number(m[1]) * UNIT_MS[m[2] as DurationUnit];
    pos = TERM_RE.lastIndex;
  }
  return pos === t.length && last >= 0 ? total : null;
}

function refuse(reason: DurationErrorReason, what: string): DurationError {
  return { ok: false, reason, message: `${what}; write e.g. ${DURATION_EXAMPLES}` };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

/**
 * The canonical spelling of a whole number of milliseconds, which parses
 * back to the same value: `1m30s`, `24h`, `500ms`, `0s`.
 *
 * @example formatDuration(5_400_000) // '1h30m'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ORDER) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return out;
}
