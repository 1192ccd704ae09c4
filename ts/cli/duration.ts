// Durations on the command line (`--validity 24h`, `--interval 2s`) and how
// the views print ages (`12m`, `3h04m`). Pure.
import { CliError } from './errors.ts';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses `90s`, `30m`, `24h`, `7d`, `1h30m` or a bare number of seconds into
 * milliseconds; throws CLI_ERR_USAGE naming the flag.
 *
 * @example parseDuration('1h30m', '--validity') // 5_400_000
 */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  let ms = 0;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else if (/^(\d+(ms|s|m|h|d))+$/.test(t)) {
    for (const m of t.matchAll(/(\d+)(ms|s|m|h|d)/g))
      ms += Number(m[1]) * (UNITS[m[2] as string] ?? 0);
  } else ms = Number.NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `${flag}: ${JSON.stringify(text)} is not a positive duration`,
      {
        hint: 'write e.g. 90s, 30m, 24h, 7d or 1h30m',
      },
    );
  }
  return ms;
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
