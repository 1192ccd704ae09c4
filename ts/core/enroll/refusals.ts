// The CP's memory of refused enrollments, per claimed hostname: what an
// operator sees for a host that never enrolled. Pure (now is a parameter).
// A claimed hostname is attacker-controlled input (anyone can post a CSR),
// so the book is bounded: names must look like hostnames, messages are
// truncated, at most `maxHosts` names are kept (the least recently refused
// goes first) and a name's log line is repeated at most every `logEveryMs`.
import type { EpochMs } from '../time.ts';

/** The latest refusal of one claimed hostname. */
export interface EnrollRefusal {
  readonly code: string;
  readonly message: string;
  readonly firstAt: EpochMs;
  readonly at: EpochMs;
  readonly count: number;
  /** When this name's refusal was last logged. */
  readonly loggedAt: EpochMs;
  /** Refusals since then that were not logged. */
  readonly unlogged: number;
}

/** Refusals by claimed hostname, least recently refused first. */
export type RefusalBook = ReadonlyMap<string, EnrollRefusal>;

/** Bounds of the book. */
export interface RefusalLimits {
  readonly maxHosts: number;
  readonly logEveryMs: number;
  readonly maxMessageChars: number;
}

/** 1,024 names (a few hundred KiB at most), one log line per name per minute. */
export const REFUSAL_LIMITS: RefusalLimits = {
  maxHosts: 1024,
  logEveryMs: 60_000,
  maxMessageChars: 200,
};

/** The contracts' hostname grammar (contracts/_types.nix). */
const HOSTNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** What {@link noteEnrollRefusal} decided. */
export interface RefusalNoted {
  readonly book: RefusalBook;
  /** The name kept, or null when the claim is not a hostname (not kept). */
  readonly hostname: string | null;
  /** Log this refusal now; `repeats` refusals of the name were not logged since the last line. */
  readonly log: boolean;
  readonly repeats: number;
  /** A name dropped to make room. */
  readonly evicted: string | null;
}

/**
 * Records a refusal of an enrollment claiming `hostname`.
 *
 * @example noteEnrollRefusal(new Map(), { hostname: 'web-01', code: 'CP_ERR_NONCE_NOT_ALLOWED', message: '…', now }).log // true
 */
export function noteEnrollRefusal(
  book: RefusalBook,
  input: {
    readonly hostname: string | null;
    readonly code: string;
    readonly message: string;
    readonly now: EpochMs;
  },
  limits: RefusalLimits = REFUSAL_LIMITS,
): RefusalNoted {
  const name = input.hostname;
  if (name === null || !HOSTNAME.test(name)) {
    return { book, hostname: null, log: true, repeats: 0, evicted: null };
  }
  const prev = book.get(name);
  const message =
    input.message.length > limits.maxMessageChars
      ? `${input.message.slice(0, limits.maxMessageChars - 1)}…`
      : input.message;
  const log = prev === undefined || input.now - prev.loggedAt >= limits.logEveryMs;
  const next: EnrollRefusal = {
    code: input.code,
    message,
    firstAt: prev?.firstAt ?? input.now,
    at: input.now,
    count: (prev?.count ?? 0) + 1,
    loggedAt: log ? input.now : (prev?.loggedAt ?? input.now),
    unlogged: log ? 0 : (prev?.unlogged ?? 0) + 1,
  };
  const out = new Map(book);
  out.delete(name);
  let evicted: string | null = null;
  if (out.size >= limits.maxHosts) {
    evicted = out.keys().next().value ?? null;
    if (evicted !== null) out.delete(evicted);
  }
  out.set(name, next);
  return { book: out, hostname: name, log, repeats: prev?.unlogged ?? 0, evicted };
}

/**
 * Forgets a hostname's refusals (it enrolled).
 *
 * @example clearEnrollRefusal(book, 'web-01')
 */
export function clearEnrollRefusal(book: RefusalBook, hostname: string): RefusalBook {
  if (!book.has(hostname)) return book;
  const out = new Map(book);
  out.delete(hostname);
  return out;
}
