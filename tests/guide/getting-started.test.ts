// docs/getting-started.md, run verbatim: its `sh test` blocks in order, in an
// empty directory with a fresh HOME, against real processes (nixfleet init,
// release with Nix builds into a real binary cache, a control plane, three
// sandbox agents). The guide's own `nixfleet watch` verdicts are the
// assertions (exit 0: converged; the bad change's block says exit=1); the
// files it leaves behind are checked after.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guideBlocks, guideScript } from './guide-script.ts';

const REPO = join(import.meta.dirname, '..', '..');
const GUIDE = join(REPO, 'docs', 'getting-started.md');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** Runs bash on `script` in its own process group; the group is killed on timeout. */
function runBash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-c', script], { cwd, env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('docs/getting-started.md', () => {
  it('extracts the walk (fails closed on a guide without runnable blocks)', () => {
    const blocks = guideBlocks(readFileSync(GUIDE, 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    expect(blocks.filter((b) => b.exit !== 0).map((b) => b.exit)).toEqual([1, 2]);
    expect(guideScript(blocks, 'g.md')).toContain('nixfleet host revoke web-03');
  });

  it('runs verbatim: converged, bad change rolled back, fix rolled out, host revoked and re-enrolled after an org root rotation', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nixfleet-guide-'));
    const home = join(root, 'home');
    const work = join(root, 'work');
    mkdirSync(home);
    mkdirSync(work);
    const script = guideScript(guideBlocks(readFileSync(GUIDE, 'utf8')), 'docs/getting-started.md');
    const started = Date.now();
    const r = await runBash(
      script,
      work,
      {
        PATH: process.env['PATH'],
        HOME: home,
        USER: 'alice',
        NIXFLEET_SRC: REPO,
        PORT: String(await freePort()),
        NIX_CONFIG: 'experimental-features = nix-command\nsandbox = false',
        GIT_AUTHOR_NAME: 'Alice',
        GIT_AUTHOR_EMAIL: 'alice@acme.example',
        GIT_COMMITTER_NAME: 'Alice',
        GIT_COMMITTER_EMAIL: 'alice@acme.example',
        GIT_CONFIG_NOSYSTEM: '1',
        TERM: 'dumb',
      },
      420_000,
    );
    const seconds = (Date.now() - started) / 1000;
    if (r.code !== 0) {
      const logs = ['state/cp.log', 'hosts/web-01/agent.log', 'hosts/web-03/agent.log']
        .map((f) => {
          try {
            return `--- ${f}\n${readFileSync(join(work, 'acme', f), 'utf8')
              .split('\n')
              .slice(-15)
              .join('\n')}`;
          } catch {
            return `--- ${f}: none`;
          }
        })
        .join('\n');
      throw new Error(
        `the guide failed (exit ${r.code}) after ${seconds}s:\n${r.stderr.slice(-6000)}\n${logs}`,
      );
    }
    // Three rollouts ended converged (first, fix, after re-enrollment), one reverted.
    expect(
      r.stdout.match(/✓ stable@[0-9a-f]+ Terminal: 3\/3 targeted hosts converged/g),
    ).toHaveLength(3);
    expect(r.stdout).toMatch(/✗ needs attention: 1 rollout failed/);
    const acme = join(work, 'acme');
    const signed = JSON.parse(readFileSync(join(acme, 'releases', 'revocations.json'), 'utf8')) as {
      revocations: { hostname: string; reason: string }[];
    };
    expect(signed.revocations).toMatchObject([{ hostname: 'web-03', reason: 'disk replaced' }]);
    const trust = JSON.parse(readFileSync(join(acme, 'trust.json'), 'utf8')) as {
      orgRootKey: { previous: unknown; successor: unknown; retireAt: string };
    };
    expect(trust.orgRootKey.previous).not.toBeNull();
    expect(trust.orgRootKey.successor).toBeNull();
    // web-03 enrolled twice: its second certificate is the one it runs with.
    const issued = readFileSync(join(acme, 'state', 'issuance.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('web-03'));
    expect(issued.length).toBeGreaterThanOrEqual(2);
    const marks = r.stderr.split('\n').filter((l) => l.startsWith('### '));
    console.log(`getting-started walk: ${seconds.toFixed(1)} s\n${marks.join('\n')}`);
  }, 450_000);
});
