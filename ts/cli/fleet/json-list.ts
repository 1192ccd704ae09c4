// The fleet's own JSON list files (bootstrap nonces, revocations) that
// fleet.nix reads with builtins.fromJSON: read, edit, written back whole by a
// rename so CI never sees half a file. The list is the fleet author's input;
// CI signs it as a sidecar on the next release.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CliError } from '../errors.ts';

/**
 * Reads a JSON list of objects; a missing file is an empty list. Anything
 * else than a list of objects is `CLI_ERR_USAGE` naming the flag.
 *
 * @example readJsonList('/fleet/revocations.json', '--file') // []
 */
export function readJsonList(path: string, flag: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError('CLI_ERR_USAGE', `${flag} ${path}: not JSON (${(e as Error).message})`, {
      hint: 'the file is a JSON list fleet.nix reads with builtins.fromJSON; fix or remove it',
      context: { path },
    });
  }
  if (
    !Array.isArray(doc) ||
    doc.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))
  ) {
    throw new CliError('CLI_ERR_USAGE', `${flag} ${path}: not a JSON list of objects`, {
      hint: 'the file is a JSON list ([ { … }, … ]) fleet.nix reads with builtins.fromJSON',
      context: { path },
    });
  }
  return doc as Record<string, unknown>[];
}

/** Writes the list (two-space JSON, one trailing newline) through a rename. */
export function writeJsonList(path: string, list: readonly Record<string, unknown>[]): void {
  writeJsonFile(path, list);
}

/** Writes a JSON document (two-space JSON, one trailing newline) through a rename. */
export function writeJsonFile(path: string, doc: unknown): void {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    throw new CliError('CLI_ERR_CONFIG_IO', `writing ${path}: ${(e as Error).message}`, {
      context: { path },
      cause: e,
    });
  }
}
