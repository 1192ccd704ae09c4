// Lookups by name in plain records that can only answer the record's own
// entries. Names arrive from requests, certificates and signed documents; a
// plain `record[name]` answers `__proto__`, `constructor` or `toString`
// from Object.prototype, so a channel named "constructor" would exist.
// Pure.

/**
 * `record[key]` when `key` is the record's own property, else `undefined`.
 *
 * @example ownValue({ stable: 1 }, 'constructor') // → undefined
 */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
