// `--git-commit` / `--git-push`: commit (and push) the written release
// directory. Runs after the atomic write, so a failure here leaves a complete
// release on disk and says so.
import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import { ReleaseError } from './errors.ts';

const run = promisify(execFile);

/** Commits `releaseDir` (`release: <sha> [skip ci]`) and pushes when asked. */
export async function commitRelease(
  releaseDir: string,
  ciCommit: string,
  push: boolean,
): Promise<void> {
  try {
    const { stdout } = await run('git', ['-C', releaseDir, 'rev-parse', '--show-toplevel']);
    const top = stdout.trim();
    const rel = relative(top, releaseDir) || '.';
    await run('git', ['-C', top, 'add', '-A', '--', rel]);
    const staged = await run('git', ['-C', top, 'diff', '--cached', '--quiet', '--', rel]).then(
      () => false,
      () => true,
    );
    if (staged)
      await run('git', [
        '-C',
        top,
        'commit',
        '-m',
        `release: ${ciCommit.slice(0, 12)} [skip ci]`,
        '--',
        rel,
      ]);
    if (push) await run('git', ['-C', top, 'push']);
  } catch (e) {
    throw new ReleaseError(
      'RELEASE_ERR_GIT',
      `the release was written, but committing it failed: ${(e as Error).message}`,
      { cause: e },
    );
  }
}
