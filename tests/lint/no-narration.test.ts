// Docs and code comments describe the product as it is, and comments say
// the current reason: no development history (what the code used to do,
// what was tried or reverted, which issue or work session changed it, dated
// diary headings). Design rationale lives in docs/design/, measurements in
// bench/results/; both are outside this check.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = new URL('../..', import.meta.url).pathname;
const ROOTS = ['ts', 'lib', 'docs', 'scripts', 'bench', 'nix'];
const SKIP = ['docs/design/', 'bench/results/', 'ts/contracts/generated/'];
const TEXT = /\.(ts|tsx|mts|mjs|js|nix|sh|md)$/;

/** Phrases that only narrate how the code got here. */
const NARRATION: readonly RegExp[] = [
  /\bused to be\b/i,
  /\bused to (add|apply|overlap|stall|take|run|hold|wait)\b/i,
  /\b(was|were) reverted\b/i,
  /\bnot adopted\b/i,
  /\bwe (tried|now|used|changed|removed|replaced|switched|decided)\b/i,
  /\b(before|after) the fix\b/i,
  /\b(named in|from) the issue\b/i,
  /\bthe issue's\b/i,
  /\(issue \d+/i,
  /\bissue #\d+/i,
  /\b(work )?session \d+\b/i,
  /\b(this|last|previous) session\b/i,
  /\bwork period\b/i,
  /\bprevious build\b/i,
  /\bno longer (accepted|supported|used|needed)\b/i,
  /\b(has been|was|were) (removed|renamed|rewritten|refactored)\b/i,
];
/** A dated heading is a diary entry. */
const DATED_HEADING = /^#+ .*\b20\d\d-[01]\d-[0-3]\d\b/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(path);
    return TEXT.test(e.name) ? [path] : [];
  });
}

/** A line without its comment or quote marker, to join a phrase wrapped across lines. */
const bare = (line: string): string => line.replace(/^\s*(\/\/|\*|#|>)?\s*/, '');

/** Each narrating line of `text` as `line: text` (a phrase wrapped onto the next line counts). */
function narration(text: string, markdown: boolean): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    const next = bare(lines[i + 1] ?? '');
    const window = `${line} ${next}`;
    const hit = NARRATION.some((re) => re.test(window) && !re.test(next));
    if (hit || (markdown && DATED_HEADING.test(line))) {
      out.push(`${i + 1}: ${line.trim().slice(0, 120)}`);
    }
  });
  return out;
}

function scan(): Map<string, string[]> {
  const hits = new Map<string, string[]>();
  for (const root of ROOTS) {
    for (const file of files(join(REPO, root))) {
      const rel = relative(REPO, file);
      if (SKIP.some((s) => rel.startsWith(s))) continue;
      const found = narration(readFileSync(file, 'utf8'), rel.endsWith('.md'));
      if (found.length > 0) hits.set(rel, found);
    }
  }
  return hits;
}

describe('no narration', () => {
  const hits = scan();

  it('no doc or comment in ts/, lib/, docs/, scripts/, bench/, nix/ narrates history', () => {
    const report = [...hits].flatMap(([rel, lines]) => lines.map((l) => `${rel}:${l}`));
    expect(report).toEqual([]);
  });

  it('recognises each kind of narration, and leaves the product vocabulary alone', () => {
    expect(narration('// This used to be applied in one command.', false)).toHaveLength(1);
    expect(narration('// A variant with batching, not adopted.', false)).toHaveLength(1);
    expect(narration('// Session 7, PSI 19-30 %', false)).toHaveLength(1);
    expect(narration('// the house-style exception named in the issue', false)).toHaveLength(1);
    expect(narration('// the exception named in the\n// issue, kept here', false)).toHaveLength(1);
    expect(narration('## Session of 2026-11-22', true)).toHaveLength(1);
    expect(narration('A host reverted; the rollout is Reverted.', true)).toEqual([]);
    expect(narration('// the key used to sign the release', false)).toEqual([]);
    expect(narration('// one HTTP/2 session per agent', false)).toEqual([]);
  });
});
