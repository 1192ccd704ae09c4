// The `--version` line of nixfleet, nixfleet-control-plane and
// nixfleet-agent: package version, commit, Node version. Read only when
// asked (a daemon's log lines read the package version alone, never `git`)
// and never fatal: anything it cannot find reads "unknown". The commit
// comes from, in order,
// NIXFLEET_COMMIT (CI, wrappers), a COMMIT file next to package.json (the
// Nix package writes it from the flake's revision), `git rev-parse` in a
// source checkout.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `--version` prints. */
export interface VersionInfo {
  readonly version: string;
  readonly commit: string;
  readonly node: string;
}

const COMMIT_RE = /^[0-9a-f]{7,40}(-dirty)?$/;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Reads the version, commit and Node version of this installation.
 *
 * @example versionInfo(process.env) // { version: '0.2.0', commit: '6a6dbe1c0ffe', node: 'v20.11.1' }
 */
export function versionInfo(
  env: Readonly<Record<string, string | undefined>>,
  root: string = ROOT,
): VersionInfo {
  return { version: packageVersion(root), commit: commitOf(env, root), node: process.version };
}

/**
 * The one line every binary prints for `--version`.
 *
 * @example formatVersion('nixfleet', info) // 'nixfleet 0.2.0 (commit 6a6dbe1c0ffe, node v20.11.1)'
 */
export function formatVersion(program: string, info: VersionInfo): string {
  return `${program} ${info.version} (commit ${info.commit}, node ${info.node})`;
}

/**
 * The package version alone: what every log line carries (no `git`, so a
 * daemon's start pays one small file read).
 *
 * @example packageVersion() // '0.2.0'
 */
export function packageVersion(root: string = ROOT): string {
  try {
    const v = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown }
    ).version;
    return typeof v === 'string' && v !== '' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

function commitOf(env: Readonly<Record<string, string | undefined>>, root: string): string {
  const fromEnv = env['NIXFLEET_COMMIT']?.trim();
  if (fromEnv !== undefined && COMMIT_RE.test(fromEnv)) return fromEnv;
  try {
    const fromFile = readFileSync(join(root, 'COMMIT'), 'utf8').trim();
    if (COMMIT_RE.test(fromFile)) return fromFile;
  } catch {
    // No COMMIT file: not a packaged build.
  }
  if (!existsSync(join(root, '.git'))) return 'unknown';
  try {
    const rev = execFileSync('git', ['-C', root, 'rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2_000,
    }).trim();
    return COMMIT_RE.test(rev) ? rev : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * True when argv (without node and the script) asks for the version of the
 * program itself: the first argument, so `nixfleet status --version` stays
 * an unknown option of `status` rather than a silent version print.
 *
 * @example wantsVersion(['--version']) // true
 */
export function wantsVersion(args: readonly string[]): boolean {
  return args[0] === '--version' || args[0] === '-V';
}
