// Tagged results for ts/trust. Expected failures (a bad signature, a stale
// artifact, a malformed key) are values the caller branches on; exceptions are
// kept for broken invariants only (STYLE.md rule 5).

/** Either a value or a typed error; callers branch on `ok`. */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/**
 * Wraps a success value.
 *
 * @example
 *   return ok(parsed);
 */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/**
 * Wraps an expected failure.
 *
 * @example
 *   return err({ kind: 'Malformed', code: 'TRUST_ERR_MALFORMED', message: 'not JSON' });
 */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
