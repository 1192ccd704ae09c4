// RFC 8785 (JCS) canonical JSON: the one implementation every signer and
// verifier uses (book: nixfleet-canonicalize; CONTRACTS.md "General rules").
//
// Owns: the I-JSON admission check, canonical serialisation, parsing signed
// bytes, and the SHA-256 of canonical bytes. Must never: read files, the clock,
// or the environment.
//
// Implementation: number and string formatting come from ECMAScript's
// JSON.stringify, which is exactly what RFC 8785 §3.2.2 prescribes; the
// `canonicalize` package is the reference serialiser. Two gaps of that package
// are closed here: it accepts values JCS must refuse (lone surrogates are
// emitted as `\udXXX` escapes, `undefined` members are dropped, `toJSON()` is
// honoured so a Date becomes a string), and it is about 7× slower than
// JSON.stringify. The admission walk below rejects non-I-JSON values and at the
// same time notices whether every object's keys are already in UTF-16 order —
// always true for a parsed canonical document — in which case native
// JSON.stringify produces the canonical text directly. Unsorted input (values
// built by producers) goes through the package.
import { createHash } from 'node:crypto';
import canonicalizePackage from 'canonicalize';
import { decodeUtf8Strict, encodeUtf8 } from './encoding.ts';
import { err, ok, type Result } from './result.ts';

// String.prototype.isWellFormed is ES2024 (Node ≥ 20); the project's lib is ES2023.
declare global {
  interface String {
    isWellFormed(): boolean;
  }
}

/** Nesting deeper than this is refused (protects the recursive walk). */
export const MAX_JSON_DEPTH = 512;

/** Why a value or a text could not be canonicalised. */
export interface CanonicalError {
  /** `InvalidJson`: the text or bytes do not parse; `NotIJson`: the value is outside I-JSON. */
  readonly kind: 'InvalidJson' | 'NotIJson';
  readonly code: 'TRUST_ERR_INVALID_JSON' | 'TRUST_ERR_NOT_I_JSON';
  readonly message: string;
  /** JSON Pointer of the offending value, when known. */
  readonly path?: string;
}

/** Walk outcome: `true` = admitted and sorted, `false` = admitted but unsorted. */
const INVALID = 2;

// The package is CommonJS (`module.exports = fn`) but its typings declare an
// ES default export; under NodeNext the default import is module.exports.
const referenceCanonicalize = canonicalizePackage as unknown as (value: unknown) => string;
type Walk = boolean | typeof INVALID;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// Hot path: no allocation beyond Object.keys, no path bookkeeping.
function walk(value: unknown, depth: number): Walk {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? true : INVALID;
    case 'number':
      return Number.isFinite(value) ? true : INVALID;
    case 'boolean':
      return true;
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return INVALID;
      let sorted = true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const r = walk(value[i], depth + 1);
          if (r === INVALID) return INVALID;
          if (!r) sorted = false;
        }
        return sorted;
      }
      if (!isPlainObject(value)) return INVALID;
      const rec = value as Record<string, unknown>;
      const keys = Object.keys(rec);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (!key.isWellFormed()) return INVALID;
        // JS string comparison is UTF-16 code-unit order, the order RFC 8785 §3.2.3 asks for.
        if (i > 0 && (keys[i - 1] as string) > key) sorted = false;
        const r = walk(rec[key], depth + 1);
        if (r === INVALID) return INVALID;
        if (!r) sorted = false;
      }
      return sorted;
    }
    default:
      return INVALID;
  }
}

function pointer(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

// Slow path, only after the fast walk refused: find the first offender and say why.
function explain(value: unknown, path: (string | number)[]): CanonicalError | null {
  const fail = (message: string): CanonicalError => ({
    kind: 'NotIJson',
    code: 'TRUST_ERR_NOT_I_JSON',
    message: `${message} at ${pointer(path) || '/'}`,
    path: pointer(path),
  });
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? null : fail('string contains a lone UTF-16 surrogate');
    case 'number':
      return Number.isFinite(value)
        ? null
        : fail(`number ${String(value)} is not representable in JSON`);
    case 'boolean':
      return null;
    case 'object': {
      if (value === null) return null;
      if (path.length >= MAX_JSON_DEPTH) return fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          const e = explain(value[i], path);
          path.pop();
          if (e) return e;
        }
        return null;
      }
      if (!isPlainObject(value))
        return fail('value is not a plain object (Date, Map, class instance…)');
      for (const [key, member] of Object.entries(value)) {
        path.push(key);
        const e = key.isWellFormed()
          ? explain(member, path)
          : fail('member name contains a lone UTF-16 surrogate');
        path.pop();
        if (e) return e;
      }
      return null;
    }
    default:
      return fail(`${typeof value} is not a JSON value`);
  }
}

/**
 * Serialises a JSON value per RFC 8785. Refuses anything outside I-JSON:
 * non-finite numbers, lone surrogates, `undefined`, functions, bigints,
 * non-plain objects, nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * @example
 *   canonicalize({ b: 1, a: [true, null] }) // { ok: true, value: '{"a":[true,null],"b":1}' }
 */
export function canonicalize(value: unknown): Result<string, CanonicalError> {
  const r = walk(value, 0);
  if (r === INVALID) {
    return err(
      explain(value, []) ?? {
        kind: 'NotIJson',
        code: 'TRUST_ERR_NOT_I_JSON',
        message: 'value is not I-JSON',
      },
    );
  }
  // Keys already in order: JSON.stringify emits members in Object.keys order,
  // so its output is the canonical text.
  if (r) return ok(JSON.stringify(value));
  return ok(referenceCanonicalize(value));
}

/**
 * Canonicalises a value the caller constructed itself, where a non-I-JSON
 * value is a programming error; throws instead of returning a result.
 *
 * @example
 *   const bytes = encodeUtf8(mustCanonicalize(manifest));
 */
export function mustCanonicalize(value: unknown): string {
  const r = canonicalize(value);
  if (!r.ok) throw new Error(`mustCanonicalize: ${r.error.message}`);
  return r.value;
}

/**
 * Parses JSON text (ECMAScript JSON.parse semantics: duplicate member names
 * keep the last value) and returns its canonical form.
 *
 * @example
 *   canonicalizeText('{ "b": 2, "a": 1 }') // { ok: true, value: '{"a":1,"b":2}' }
 */
export function canonicalizeText(text: string): Result<string, CanonicalError> {
  const parsed = parseJsonText(text);
  return parsed.ok ? canonicalize(parsed.value) : parsed;
}

/**
 * Parses JSON text into a value.
 *
 * @example
 *   parseJsonText('[1]') // { ok: true, value: [1] }
 */
export function parseJsonText(text: string): Result<unknown, CanonicalError> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return err({
      kind: 'InvalidJson',
      code: 'TRUST_ERR_INVALID_JSON',
      message: `not valid JSON: ${(e as Error).message}`,
    });
  }
}

/** A parsed document together with the exact text it came from. */
export interface ParsedJson {
  readonly text: string;
  readonly value: unknown;
}

/**
 * Decodes strict UTF-8 and parses JSON; the returned text is byte-for-byte the
 * input (a BOM is kept, and then refused by JSON.parse).
 *
 * @example
 *   parseJsonBytes(encodeUtf8('{"a":1}'))
 */
export function parseJsonBytes(bytes: Uint8Array): Result<ParsedJson, CanonicalError> {
  const text = decodeUtf8Strict(bytes);
  if (text === null) {
    return err({ kind: 'InvalidJson', code: 'TRUST_ERR_INVALID_JSON', message: 'not valid UTF-8' });
  }
  const parsed = parseJsonText(text);
  return parsed.ok ? ok({ text, value: parsed.value }) : parsed;
}

/**
 * Canonical bytes (UTF-8 of the canonical text) of a value.
 *
 * @example
 *   canonicalBytes({ a: 1 }) // { ok: true, value: Uint8Array('{"a":1}') }
 */
export function canonicalBytes(value: unknown): Result<Uint8Array, CanonicalError> {
  const r = canonicalize(value);
  return r.ok ? ok(encodeUtf8(r.value)) : r;
}

/**
 * Lowercase hex SHA-256 of canonical bytes (or of their text, UTF-8 encoded).
 * This is `fleetResolvedHash` when given a fleet.resolved's canonical bytes.
 *
 * @example
 *   sha256Hex('{}') // '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
 */
export function sha256Hex(canonical: string | Uint8Array): string {
  return createHash('sha256').update(canonical).digest('hex');
}
