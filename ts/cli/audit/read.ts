// The shell of `nixfleet audit`: reads the release history (directories of
// releases, or every commit of a release directory in git), trust.json and
// the evidence files as bytes for the pure core (ts/core/audit). Reading is
// all it does: git is only a transport here, each release it yields is
// verified by its signature like a file on disk.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { AuditEvidenceFile, AuditRelease, AuditReleaseFile } from '../../core/audit/index.ts';
import { CliError } from '../errors.ts';

const run = promisify(execFile);

const SIGNED = /^(fleet\.resolved|revocations|bootstrap-nonces)\.json$|^rollouts\/[^/]+\.json$/;

const inputError = (flag: string, path: string, why: string, hint: string): CliError =>
  new CliError('AUDIT_ERR_INPUT', `${flag} ${path}: ${why}`, { hint, context: { path } });

function read(flag: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw inputError(flag, path, (e as Error).message, 'check the path; nothing was verified');
  }
}

/** The signed files of the release directory `dir` (names relative to it). */
function releaseAt(dir: string): AuditRelease {
  const files: AuditReleaseFile[] = [];
  const names = ['fleet.resolved.json', 'revocations.json', 'bootstrap-nonces.json'];
  let rollouts: string[] = [];
  try {
    rollouts = readdirSync(join(dir, 'rollouts')).filter((f) => f.endsWith('.json'));
  } catch {
    // a release without rollouts/ has no manifests to verify
  }
  for (const name of [...names, ...rollouts.map((f) => `rollouts/${f}`)]) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(join(dir, name)));
    } catch {
      continue;
    }
    let signature: Uint8Array | null = null;
    try {
      signature = new Uint8Array(readFileSync(join(dir, `${name}.sig`)));
    } catch {
      signature = null;
    }
    files.push({ name, bytes, signature });
  }
  return { source: dir, files };
}

/**
 * `--release-dir`: a release directory, or a directory holding release
 * directories at any depth (an archive of past releases).
 */
export function releasesFromDir(path: string): AuditRelease[] {
  const out: AuditRelease[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw inputError('--release-dir', dir, (e as Error).message, 'check the path');
    }
    if (entries.some((e) => e.isFile() && e.name === 'fleet.resolved.json')) {
      out.push(releaseAt(dir));
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1)))
      if (e.isDirectory() && e.name !== 'rollouts') walk(join(dir, e.name));
  };
  walk(path);
  if (out.length === 0) {
    throw inputError(
      '--release-dir',
      path,
      'holds no release (no fleet.resolved.json in it or below it)',
      'point it at the directory `nixfleet release --release-dir` wrote, or at an archive of such directories',
    );
  }
  return out;
}

async function git(args: string[]): Promise<Buffer> {
  const r = await run('git', args, { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  return r.stdout;
}

/**
 * `--release-git`: a release directory inside a git checkout; every commit
 * that changed it is one release, read from that commit's tree (what
 * `nixfleet release --git-commit` records).
 */
export async function releasesFromGit(path: string): Promise<AuditRelease[]> {
  let top: string;
  let rel: string;
  let commits: string[];
  try {
    top = (await git(['-C', path, 'rev-parse', '--show-toplevel'])).toString('utf8').trim();
    rel = relative(realpathSync(top), realpathSync(path)).split('\\').join('/');
    commits = (await git(['-C', top, 'log', '--format=%H', '--', rel || '.']))
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
  } catch (e) {
    throw inputError(
      '--release-git',
      path,
      (e as Error).message.split('\n')[0] ?? 'git failed',
      'give the release directory inside a git checkout (the --release-dir of `nixfleet release --git-commit`)',
    );
  }
  if (commits.length === 0)
    throw inputError('--release-git', path, 'no commit records this directory', 'check the path');
  const prefix = rel === '' ? '' : `${rel}/`;
  const out: AuditRelease[] = [];
  for (const commit of commits) {
    const listed = (
      await git(['-C', top, 'ls-tree', '-r', '--name-only', commit, '--', rel || '.'])
    )
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .map((l) => l.slice(prefix.length));
    const present = new Set(listed);
    const files: AuditReleaseFile[] = [];
    for (const name of listed.filter((n) => SIGNED.test(n))) {
      const blob = async (n: string): Promise<Uint8Array> =>
        new Uint8Array(await git(['-C', top, 'cat-file', 'blob', `${commit}:${prefix}${n}`]));
      files.push({
        name,
        bytes: await blob(name),
        signature: present.has(`${name}.sig`) ? await blob(`${name}.sig`) : null,
      });
    }
    // A commit that removed the directory holds no release.
    if (files.length > 0) out.push({ source: `git:${commit.slice(0, 12)}:${rel || '.'}`, files });
  }
  return out;
}

/**
 * `--evidence`: a file, or a directory whose `*.json` / `*.jsonl` files at any
 * depth are evidence. In a directory, a `<x>.json` with a sibling
 * `<x>.json.sig` is an agent's raw copy of a payload whose
 * `<x>.evidence.json` carries the same signed bytes: it is skipped.
 */
export function evidenceFrom(path: string): AuditEvidenceFile[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw inputError('--evidence', path, (e as Error).message, 'check the path');
  }
  if (!isDir) return [{ source: path, bytes: read('--evidence', path) }];
  const out: AuditEvidenceFile[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.jsonl?$/.test(e.name) && !names.has(`${e.name}.sig`))
        out.push({ source: p, bytes: read('--evidence', p) });
    }
  };
  walk(path);
  if (out.length === 0)
    throw inputError('--evidence', path, 'holds no .json or .jsonl file', 'check the path');
  return out;
}

/** trust.json's bytes. */
export function trustFrom(path: string): { source: string; bytes: Uint8Array } {
  return { source: path, bytes: read('--trust', path) };
}
