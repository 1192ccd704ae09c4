// Crash-safe files for the state directory. Owns atomic replacement (write a
// temporary sibling, fsync, rename, fsync the directory) and corrupt-file
// recovery (a file that does not parse or validate is moved aside to
// `<name>.corrupt-<ms>` and reported, never silently deleted). Must never
// leave a half-written file under a final name.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AgentError } from '../errors.ts';

/**
 * Replaces `path` atomically with `data` (mode 0600 by default).
 *
 * @example writeFileAtomic('/var/lib/nixfleet-agent/state.json', JSON.stringify(s));
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { readonly mode?: number } = {},
): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', options.mode ?? 0o600);
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dir);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AgentError('AGENT_ERR_STATE_IO', `cannot write ${path}: ${(e as Error).message}`, {
      cause: e,
      context: { path },
    });
  }
}

/** fsyncs a directory so a rename in it is durable (best effort off Linux). */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Outcome of {@link readJsonFile}. */
export type ReadJsonResult<T> =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly value: T }
  | {
      readonly kind: 'corrupt';
      /** Where the unreadable file was moved. */
      readonly movedTo: string;
      readonly error: AgentError;
    };

/**
 * Reads a JSON state file and validates it with `check` (returns an error
 * message or `null`). A file that does not parse or validate is moved aside
 * and reported as `corrupt` so the caller can start fresh and say so.
 *
 * @example
 *   const r = readJsonFile(path, (v) => (isSnapshot(v) ? null : 'not a snapshot'), now);
 */
export function readJsonFile<T>(
  path: string,
  check: (value: unknown) => string | null,
  now: number,
): ReadJsonResult<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return quarantineFile(path, `unreadable: ${(e as Error).message}`, now, e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return quarantineFile(path, `not JSON: ${(e as Error).message}`, now, e);
  }
  const problem = check(value);
  if (problem !== null) return quarantineFile(path, problem, now);
  return { kind: 'ok', value: value as T };
}

function quarantineFile(
  path: string,
  why: string,
  now: number,
  cause?: unknown,
): ReadJsonResult<never> {
  const movedTo = `${path}.corrupt-${now}`;
  try {
    renameSync(path, movedTo);
  } catch {
    rmSync(path, { force: true });
  }
  return {
    kind: 'corrupt',
    movedTo,
    error: new AgentError('AGENT_ERR_STATE_CORRUPT', `state file ${path} is corrupt: ${why}`, {
      cause,
      context: { path, movedTo },
    }),
  };
}
