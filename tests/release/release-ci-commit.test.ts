// `nixfleet release` without --ci-commit takes the commit of the fleet
// source's git checkout (the fleet file's directory, wherever the command
// runs from); outside one it refuses naming --ci-commit, before anything is
// evaluated. Real process, real git.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NIXFLEET_BIN } from '../cli/support/cli-kit.ts';
import { fleetNixText } from '../../ts/cli/init/templates.ts';
import { makeTrust } from '../cp/kit/release.ts';

const root = mkdtempSync(join(tmpdir(), 'nixfleet-cicommit-'));
const repo = join(root, 'fleet');
const elsewhere = join(root, 'elsewhere');
for (const d of [repo, elsewhere]) spawnSync('mkdir', ['-p', d]);
writeFileSync(join(repo, 'fleet.nix'), fleetNixText(['web-01', 'web-02']));
makeTrust(repo);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function release(cwd: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  const args = [NIXFLEET_BIN, 'release', '--fleet-file', join(repo, 'fleet.nix')];
  args.push('--trust-file', join(repo, 'trust.json'), '--sign-cmd', 'false', ...extra);
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, GIT_CEILING_DIRECTORIES: root },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, stderr })),
  );
}

const git = (...args: string[]): void => {
  const r = spawnSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.org',
    ...args,
  ]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
};

describe('release --ci-commit', () => {
  it('outside a git checkout: exit 2 naming --ci-commit', async () => {
    const r = await release(repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${repo} is not in a git checkout: pass --ci-commit <sha>`);
  });

  it('a checkout without a commit says so', async () => {
    git('init', '-q');
    const r = await release(repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a git checkout without a commit yet: pass --ci-commit <sha>');
  });

  it("takes the fleet file's checkout, not the working directory's", async () => {
    git('add', '-A');
    git('commit', '-qm', 'fleet');
    // --now is checked after the commit: its refusal shows the commit was found.
    const r = await release(elsewhere, ['--now', 'soon']);
    expect(r.stderr).toContain('--now must be an RFC 3339 UTC timestamp');
    expect(r.code).toBe(2);
  });
});
