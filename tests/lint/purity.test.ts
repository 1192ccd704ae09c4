// The purity boundary of ARCHITECTURE.md is enforced by lint: code under
// ts/core and ts/trust may not import I/O modules or read the clock. These
// tests lint small sources as if they lived there, so the rule cannot rot.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('purity boundary lint', () => {
  it.each([
    [
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      'no-restricted-imports',
    ],
    [
      "import { spawn } from 'node:child_process';\nexport const x = spawn;\n",
      'no-restricted-imports',
    ],
    [
      "import Database from 'better-sqlite3';\nexport const x = Database;\n",
      'no-restricted-imports',
    ],
    ["import * as http2 from 'http2';\nexport const x = http2;\n", 'no-restricted-imports'],
    ['export const now = (): number => Date.now();\n', 'no-restricted-syntax'],
    ['export const now = (): Date => new Date();\n', 'no-restricted-syntax'],
    ['export const env = (): unknown => process.env;\n', 'no-restricted-syntax'],
  ])('refuses %j in ts/core and ts/trust', async (code, rule) => {
    expect(await ruleIds(code, 'ts/core/fixture.ts')).toContain(rule);
    expect(await ruleIds(code, 'ts/trust/fixture.ts')).toContain(rule);
  });

  it('allows parsing a given timestamp and node:crypto in pure code', async () => {
    const code =
      "import { createHash } from 'node:crypto';\nexport const f = (s: string): number => new Date(s).getTime() + createHash('sha256').digest().length;\n";
    expect(await ruleIds(code, 'ts/core/fixture.ts')).toEqual([]);
  });

  it('does not restrict the shells', async () => {
    const code =
      "import { readFileSync } from 'node:fs';\nexport const x = (): unknown => [readFileSync, Date.now()];\n";
    expect(await ruleIds(code, 'ts/cp/fixture.ts')).toEqual([]);
  });
});
