// Files under ts/ stay short enough to read in one sitting: a file over
// MAX_LINES lines must say why in a `// long-file: <reason>` line at its top,
// or be split along a seam. Generated code is exempt.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = new URL('../..', import.meta.url).pathname;
const MAX_LINES = 400;
/** How far down the header may sit (after a shebang or a short lead comment). */
const HEADER_WINDOW = 10;
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const GENERATED = ['ts/contracts/generated/'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return SOURCE.test(e.name) ? [path] : [];
  });
}

/** The reason a long text gives for its length, or null. */
function longFileReason(text: string): string | null {
  const head = text.split('\n').slice(0, HEADER_WINDOW);
  for (const line of head) {
    const m = /^\/\/ long-file: (\S.*)$/.exec(line);
    if (m) return m[1] as string;
  }
  return null;
}

/** Files of `root` over MAX_LINES lines without a long-file header, relative to the repo. */
function unexplainedLongFiles(root: string): string[] {
  const out: string[] = [];
  for (const file of sources(root)) {
    const rel = relative(REPO, file);
    if (GENERATED.some((g) => rel.startsWith(g))) continue;
    const text = readFileSync(file, 'utf8');
    const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
    if (lines > MAX_LINES && longFileReason(text) === null) out.push(`${rel} (${lines} lines)`);
  }
  return out.sort();
}

describe('file length', () => {
  it(`no file in ts/ is over ${MAX_LINES} lines without a "// long-file: <reason>" header`, () => {
    expect(unexplainedLongFiles(join(REPO, 'ts'))).toEqual([]);
  });

  it('reads the header only at the top, and only with a reason', () => {
    expect(longFileReason('// long-file: one state machine\nexport {};\n')).toBe(
      'one state machine',
    );
    expect(longFileReason('// long-file:\nexport {};\n')).toBeNull();
    expect(longFileReason(`${'\n'.repeat(HEADER_WINDOW)}// long-file: late\n`)).toBeNull();
  });
});
