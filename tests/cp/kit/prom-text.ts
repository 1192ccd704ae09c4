// A strict parser of the Prometheus text exposition format (0.0.4), for
// tests: it refuses what Prometheus refuses and what the format's
// conventions forbid (a counter not ending in _total, `quantile` outside a
// summary, `le` outside a histogram, a duplicate series), so a test that
// parses /metrics with it fails on anything a stock scraper would trip on.

/** One parsed sample. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface PromFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: value ${JSON.stringify(text)} is not a float`);
  if (text.endsWith('Inf')) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `i` (at `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, i: number, where: string): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i += 1;
  for (;;) {
    if (line[i] === '}') return [labels, i + 1];
    const eq = line.indexOf('=', i);
    if (eq === -1) throw new Error(`${where}: label without '='`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    }
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label ${name} value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = line[j];
      if (c === undefined) throw new Error(`${where}: unterminated value of ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const n = line[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${n ?? ''} in ${name}`);
        j += 2;
        continue;
      }
      value += c;
      j += 1;
    }
    labels[name] = value;
    i = j + 1;
    if (line[i] === ',') i += 1;
    else if (line[i] !== '}') throw new Error(`${where}: expected ',' or '}' after ${name}`);
  }
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (
      f !== undefined &&
      (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))
    ) {
      return f;
    }
  }
  return undefined;
}

/** Parses `text` strictly; throws an Error naming the line on the first violation. */
export function parsePromText(text: string): PromFamily[] {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, PromFamily>();
  const helps = new Map<string, string>();
  const series = new Set<string>();
  /** Families whose samples are over: a family's samples must be contiguous. */
  const closed = new Set<string>();
  let current: string | null = null;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1} (${line.slice(0, 80)})`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) return; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      if (families.has(name) && (families.get(name)?.samples.length ?? 0) > 0) {
        throw new Error(`${where}: ${kind} after the samples of ${name}`);
      }
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\(?![\\n])/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        helps.set(name, rest);
        const f = families.get(name);
        if (f !== undefined) families.set(name, { ...f, help: rest });
        return;
      }
      if (families.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
      if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
      const type = rest as PromFamily['type'];
      if (type === 'counter' && !name.endsWith('_total')) {
        throw new Error(`${where}: counter ${name} does not end in _total`);
      }
      families.set(name, { name, type, help: helps.get(name) ?? '', samples: [] });
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no sample name`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2 || parts[0] === '') throw new Error(`${where}: malformed value`);
    const value = parseValue(parts[0] as string, where);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) {
      throw new Error(`${where}: bad timestamp`);
    }
    const family = familyOf(name, families);
    if (family === undefined) throw new Error(`${where}: sample ${name} without a TYPE before it`);
    if (!helps.has(family.name))
      throw new Error(`${where}: sample ${name} without a HELP before it`);
    if (current !== family.name) {
      if (closed.has(family.name))
        throw new Error(`${where}: samples of ${family.name} not contiguous`);
      if (current !== null) closed.add(current);
      current = family.name;
    }
    if ('quantile' in labels && family.type !== 'summary') {
      throw new Error(`${where}: quantile label on a ${family.type}`);
    }
    if ('le' in labels !== (family.type === 'histogram' && name.endsWith('_bucket'))) {
      throw new Error(`${where}: le label only (and always) on histogram buckets`);
    }
    if (family.type === 'counter' && (value < 0 || Number.isNaN(value))) {
      throw new Error(`${where}: counter value ${value}`);
    }
    const id = `${name}{${Object.keys(labels)
      .sort()
      .map((k) => `${k}=${JSON.stringify(labels[k])}`)
      .join(',')}}`;
    if (series.has(id)) throw new Error(`${where}: duplicate series ${id}`);
    series.add(id);
    family.samples.push({ name, labels, value });
  });
  for (const f of families.values()) checkHistogram(f);
  return [...families.values()];
}

/** Buckets cumulative, `le` increasing to +Inf, `_count` equal to the +Inf bucket. */
function checkHistogram(f: PromFamily): void {
  if (f.type !== 'histogram') return;
  const groups = new Map<string, PromSample[]>();
  for (const s of f.samples) {
    const rest = Object.keys(s.labels)
      .filter((k) => k !== 'le')
      .sort()
      .map((k) => `${k}=${s.labels[k]}`)
      .join(',');
    groups.set(rest, [...(groups.get(rest) ?? []), s]);
  }
  for (const [rest, samples] of groups) {
    const where = `${f.name}{${rest}}`;
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (!samples.some((s) => s.name === `${f.name}_sum`) || count === undefined) {
      throw new Error(`${where}: histogram without _sum or _count`);
    }
    let le = -Infinity;
    let cum = 0;
    for (const b of buckets) {
      const bound = parseValue(b.labels['le'] as string, where);
      if (!(bound > le)) throw new Error(`${where}: le not increasing`);
      if (b.value < cum) throw new Error(`${where}: buckets not cumulative`);
      le = bound;
      cum = b.value;
    }
    if (le !== Infinity) throw new Error(`${where}: no le="+Inf" bucket`);
    if (cum !== count.value)
      throw new Error(`${where}: _count ${count.value} != +Inf bucket ${cum}`);
  }
}
