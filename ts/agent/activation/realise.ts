// Realisation: fetch a closure from the configured binary cache(s) into the
// store with `cacheKeys` as the only trusted keys (RFC-0003 §7). Uses a real
// `nix copy --from <cache> --option trusted-public-keys … --option
// require-sigs true`; an unsigned or foreign-signed path is refused by Nix
// itself. The CP is never a source of closures unless configured as a cache.
// Must never pass --no-check-sigs.
import { runNix } from '../../nix/index.ts';

/** Outcome of {@link realiseClosure}. */
export type RealiseOutcome =
  | { readonly ok: true; readonly source: string | null }
  | {
      readonly ok: false;
      /** `untrusted`: a cache served it without a trusted signature. */
      readonly reason: 'untrusted' | 'unavailable';
      readonly detail: string;
    };

/** Options of {@link realiseClosure}. */
export interface RealiseOptions {
  /** Store basename (`<hash>-<name>`). */
  readonly closure: string;
  readonly cacheUrls: readonly string[];
  /** `name:base64` keys from trust.json `cacheKeys`. */
  readonly trustedKeys: readonly string[];
  /** Destination store URI; `null`: the local default store. */
  readonly storeUri: string | null;
  readonly timeoutMs: number;
}

const CLOSURE_RE = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+._?=-]+$/;

/** True for a well-formed store basename. */
export function isClosureName(text: string): boolean {
  return CLOSURE_RE.test(text);
}

/**
 * Ensures `/nix/store/<closure>` is valid in the destination store, fetching
 * it from the first cache that serves it with a trusted signature.
 *
 * @example await realiseClosure({ closure, cacheUrls, trustedKeys, storeUri: null, timeoutMs })
 */
export async function realiseClosure(options: RealiseOptions): Promise<RealiseOutcome> {
  if (!isClosureName(options.closure)) {
    return { ok: false, reason: 'untrusted', detail: `not a store path name: ${options.closure}` };
  }
  const path = `/nix/store/${options.closure}`;
  const storeArgs = options.storeUri ? ['--store', options.storeUri] : [];
  const valid = await runNix('nix-store', [...storeArgs, '--check-validity', path], {
    timeoutMs: 30_000,
  });
  if (valid.ok) return { ok: true, source: null };
  if (options.trustedKeys.length === 0) {
    return { ok: false, reason: 'untrusted', detail: 'trust.json declares no cacheKeys' };
  }
  if (options.cacheUrls.length === 0) {
    return { ok: false, reason: 'unavailable', detail: 'no binary cache configured (--cache-url)' };
  }
  let untrusted: string | null = null;
  const failures: string[] = [];
  for (const cache of options.cacheUrls) {
    const args = [
      'copy',
      '--from',
      cache,
      ...(options.storeUri ? ['--to', options.storeUri] : []),
      '--option',
      'trusted-public-keys',
      options.trustedKeys.join(' '),
      '--option',
      'require-sigs',
      'true',
      '--option',
      'substituters',
      '',
      // A closure CI has not pushed yet is retried until the confirm
      // deadline; a cached "not in this cache" answer must not outlive it.
      '--option',
      'narinfo-cache-negative-ttl',
      '0',
      path,
    ];
    const r = await runNix('nix', args, { timeoutMs: options.timeoutMs });
    if (r.ok) return { ok: true, source: cache };
    const text = r.stderr || r.message;
    if (/lacks a valid signature|no signature|not signed/i.test(text)) {
      untrusted = `${cache}: ${lastLine(text)}`;
    } else {
      failures.push(`${cache}: ${lastLine(text)}`);
    }
  }
  if (untrusted !== null) return { ok: false, reason: 'untrusted', detail: untrusted };
  return { ok: false, reason: 'unavailable', detail: failures.join('; ') };
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('error:'));
  return (lines[lines.length - 1] ?? text.trim().split('\n').pop() ?? '').slice(0, 500);
}
