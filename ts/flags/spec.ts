// The shape of a program's flag table (ts/cp/flags.ts, ts/agent/config/flags.ts,
// ts/compliance/flags.ts): the one place a flag's name, type, unit, default,
// environment variable, description and NixOS module option are written.
// `--help` registers from it and scripts/gen-flag-docs.ts renders the docs'
// reference tables from it, so the three cannot disagree. Pure and light: the
// programs load it before deciding anything, `--help` included.
import { formatDuration, UNIT_MS, type DurationUnit } from '../core/duration.ts';

/** What a flag's value is; durations follow ts/core/duration.ts. */
export type FlagType =
  'string' | 'path' | 'url' | 'duration' | 'count' | 'number' | 'enum' | 'switch' | 'list';

/** One flag of a program. */
export interface FlagSpec {
  /** The commander spelling: `--long-poll-secs <duration>`, `--strict`. */
  readonly flag: string;
  /** The option's camelCase key (commander's attribute name). */
  readonly key: string;
  readonly type: FlagType;
  /** Durations: the unit of a plain number (`--long-poll-secs 30` is 30 s). */
  readonly unit?: DurationUnit;
  /** The value when neither the flag nor its variable is set, as written on argv. */
  readonly default?: string;
  /** A default that is not one value (`<state-dir>/tls/client.crt`), for humans. */
  readonly defaultText?: string;
  /** The environment variable that mirrors the flag (null: none). */
  readonly env: string | null;
  readonly description: string;
  /** The NixOS module option that renders this flag, relative to the module's `services.*`. */
  readonly nixos?: string;
}

/** `--long-poll-secs <duration>` → `--long-poll-secs`. */
export function flagName(spec: Pick<FlagSpec, 'flag'>): string {
  return spec.flag.split(' ')[0] as string;
}

/** `longPollSecs` → `NIXFLEET_CP_LONG_POLL_SECS` for the prefix `NIXFLEET_CP`. */
export function envOf(prefix: string, key: string): string {
  return `${prefix}_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
}

const UNIT_WORD: Readonly<Record<DurationUnit, string>> = {
  d: 'days',
  h: 'hours',
  m: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
};

/** What a value is, as `--help` and the docs say it: `duration (plain number: seconds)`. */
export function typeText(spec: FlagSpec): string {
  if (spec.type === 'duration') return `duration (plain number: ${UNIT_WORD[spec.unit ?? 's']})`;
  if (spec.type === 'count') return 'integer';
  if (spec.type === 'switch') return 'switch';
  return spec.type;
}

/** The default as a reader wants it: `60` of `--long-poll-secs` is `60 (1m)`. */
export function defaultText(spec: FlagSpec): string | null {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.default === undefined) return null;
  if (spec.type === 'duration' && /^\d+(\.\d+)?$/.test(spec.default)) {
    const canonical = formatDuration(Number(spec.default) * UNIT_MS[spec.unit ?? 's']);
    return canonical === `${spec.default}${spec.unit ?? 's'}`
      ? spec.default
      : `${spec.default} (${canonical})`;
  }
  return spec.default;
}

/**
 * The `--help` line of a flag: its description, for durations the unit of a
 * plain number, and a default that is not one value (`defaultText`).
 * Commander appends a plain default and the variable.
 */
export function helpText(spec: FlagSpec): string {
  const text =
    spec.type === 'duration'
      ? `${spec.description} [duration; plain number: ${UNIT_WORD[spec.unit ?? 's']}]`
      : spec.description;
  if (spec.defaultText === undefined) return text;
  return spec.defaultText === 'required'
    ? `${text} (required)`
    : `${text} (default: ${spec.defaultText})`;
}

/**
 * `--help` text for a program whose defaults are applied by its config
 * parser rather than commander: {@link helpText} plus `(default: …)`.
 */
export function helpTextWithDefault(spec: FlagSpec): string {
  const d = spec.defaultText === undefined ? defaultText(spec) : null;
  return d === null ? helpText(spec) : `${helpText(spec)} (default: ${d})`;
}

/** Escapes a table cell of a Markdown table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A column of the reference table beyond the common ones (NixOS option, config key). */
export interface ExtraColumn<S extends FlagSpec> {
  readonly title: string;
  readonly cell: (spec: S) => string | null | undefined;
}

/**
 * The reference table of a program's flags, in Markdown, as the docs embed
 * it between generated markers, with an extra column when given (the NixOS
 * option that renders the flag, or the config file key that mirrors it).
 */
export function renderFlagTable<S extends FlagSpec>(
  specs: readonly S[],
  extra?: ExtraColumn<S>,
): string {
  const rows = specs.map((s) => {
    const d = defaultText(s);
    const x = extra?.cell(s);
    return [
      `\`${flagName(s)}\``,
      s.env === null ? '—' : `\`${s.env}\``,
      typeText(s),
      s.defaultText !== undefined ? cell(s.defaultText) : d === null ? '—' : `\`${d}\``,
      ...(extra === undefined ? [] : [x === null || x === undefined ? '—' : `\`${x}\``]),
      cell(s.description),
    ];
  });
  const head = ['Flag', 'Env', 'Type', 'Default', ...(extra ? [extra.title] : []), 'Meaning'];
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
