// Acceptance: changing one option type in a contract without regenerating
// makes the drift check fail with a message naming the stale files.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-drift-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function check(contractsDir: string): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(
    'npx',
    ['--no-install', 'tsx', 'scripts/gen-contracts.ts', '--check', `--contracts=${contractsDir}`],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('contract drift check', () => {
  it('passes on the committed contracts', () => {
    const r = check(join(root, 'contracts'));
    expect(r.stderr).not.toContain('stale');
    expect(r.status).toBe(0);
  });

  it('fails naming the stale schema and type files when an option type changes', () => {
    const dir = join(tmp, 'contracts');
    cpSync(join(root, 'contracts'), dir, { recursive: true });
    const file = join(dir, 'heartbeat.nix');
    const text = readFileSync(file, 'utf8');
    const changed = text.replace('uptime_secs = opt t.unsigned', 'uptime_secs = opt types.str');
    expect(changed).not.toBe(text);
    writeFileSync(file, changed);
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stale: schemas/heartbeat.schema.json');
    expect(r.stderr).toContain('stale: ts/contracts/generated/heartbeat.ts');
    expect(r.stderr).not.toContain('rollout-manifest');
  });
});
