// How the views print ages (`12m`, `3h04m`), and a duration read outside a
// command's flag table (bench/). Pure. A command's duration flags go through
// their table row instead (ts/cli/flags/table.ts durationFlag), which holds
// the unit and bounds; the grammar is the one of ts/core/duration.ts
// (docs/operators.md "Durations").
import { parseDuration as parseCoreDuration, type DurationSpec } from '../core/duration.ts';
import { CliError } from './errors.ts';

/**
 * Parses a positive duration flag (`90s`, `1m30s`, `1.5m`, `2h`, `7d`, or a
 * bare number of seconds) into milliseconds; throws CLI_ERR_USAGE naming the
 * flag, with the refusal's reason in its context.
 *
 * @example parseDuration('1h30m', '--validity') // 5_400_000
 */
export function parseDuration(
  text: string,
  flag: string,
  spec: DurationSpec = { bareUnit: 's', minMs: 1 },
): number {
  const r = parseCoreDuration(text, spec);
  if (r.ok) return r.ms;
  throw new CliError('CLI_ERR_USAGE', `${flag}: ${r.message}`, {
    context: { flag, reason: r.reason },
  });
}

/**
 * A compact age: `42s`, `12m`, `3h04m`, `2d05h`; `—` for null or negative.
 *
 * @example formatAge(3 * 3_600_000 + 4 * 60_000) // '3h04m'
 */
export function formatAge(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  // Seconds matter in the first minutes of a state (activation, soak start).
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/**
 * A window in minutes as operators write it: `90m`, `24h`, `7d`.
 *
 * @example formatMinutes(1440) // '24h'; formatMinutes(10080) // '7d'
 */
export function formatMinutes(minutes: number): string {
  if (minutes % 1440 === 0 && minutes > 2880) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}
