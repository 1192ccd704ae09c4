// Selector identity for budget matching (RFC-0002 §4.2: budgets are matched
// across active rollouts by selector equality). Owns the canonical key and a
// short operator label. Must never evaluate a selector against hosts: the
// manifest carries each budget's resolved host list.
import type { NormalizedSelector } from '../contracts/index.ts';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const obj = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Equality key of a normalised selector: canonical JSON with sorted keys
 * (array order kept; the producer emits arrays in canonical order).
 *
 * @example selectorKey(a) === selectorKey(b) // same budget across rollouts
 */
export function selectorKey(selector: NormalizedSelector): string {
  return canonical(selector);
}

/**
 * Short label for decisions and docs, e.g. `tags=etcd`, `all`,
 * `channel=stable&!hosts=db-01`.
 *
 * @example selectorLabel({ ...empty, tags: ['etcd'] }) === 'tags=etcd'
 */
export function selectorLabel(s: NormalizedSelector): string {
  const parts: string[] = [];
  if (s.all) parts.push('all');
  if (s.channel !== null) parts.push(`channel=${s.channel}`);
  if (s.hosts.length > 0) parts.push(`hosts=${s.hosts.join(',')}`);
  if (s.tags.length > 0) parts.push(`tags=${s.tags.join(',')}`);
  if (s.tagsAny.length > 0) parts.push(`tagsAny=${s.tagsAny.join(',')}`);
  for (const sub of s.and) parts.push(`(${selectorLabel(sub)})`);
  if (s.not !== null) parts.push(`!(${selectorLabel(s.not)})`);
  return parts.length === 0 ? 'none' : parts.join('&');
}
