import { describe, expect, it } from 'vitest';
import {
  acceptanceCovers,
  diffIrrevocable,
  judgeIrrevocable,
  showIrrevocable,
} from './irrevocable.ts';

const v = (sha: string, value: string | null = sha, sensitive = false) => ({
  sha256: sha.padEnd(64, '0'),
  value,
  sensitive,
});
const acc = (host: string, name: string, to: string | null) => ({
  host,
  name,
  oldSha256: null,
  newSha256: to === null ? null : to.padEnd(64, '0'),
  oldValue: null,
  newValue: null,
  acceptedBy: 'ci',
  ciCommit: 'abc1234',
  acceptedAt: '2026-05-16T01:00:00Z',
});

describe('irrevocable values (pure)', () => {
  it('finds changes and removals by digest, never additions', () => {
    const d = diffIrrevocable(
      'h',
      { a: v('a'), b: v('b'), c: v('c') },
      { a: v('a'), b: v('bb'), d: v('d') },
    );
    expect(d.map((c) => `${c.name}:${c.kind}`)).toEqual(['b:changed', 'c:removed']);
    // Same digest, value hidden: unchanged.
    expect(diffIrrevocable('h', { a: v('a') }, { a: v('a', null, true) })).toEqual([]);
  });

  it('prints a sensitive value as its digest prefix only', () => {
    expect(showIrrevocable(v('abc', 'x'))).toBe('"x"');
    expect(showIrrevocable(v('abc', null, true))).toMatch(/^<sensitive sha256:abc0{9}…>$/);
    expect(showIrrevocable(null)).toBe('(removed)');
  });

  it('an acceptance covers one host, one name, one new digest', () => {
    const list = [acc('h', 'a', 'bb'), acc('h', 'c', null)];
    expect(acceptanceCovers(list, 'h', 'a', v('bb'))).not.toBeNull();
    expect(acceptanceCovers(list, 'h', 'a', v('cc'))).toBeNull();
    expect(acceptanceCovers(list, 'g', 'a', v('bb'))).toBeNull();
    expect(acceptanceCovers(list, 'h', 'c', null)).not.toBeNull();
  });

  it('judges: unknown current generation passes, an unaccepted change refuses', () => {
    expect(judgeIrrevocable('h', null, {}, []).ok).toBe(true);
    const r = judgeIrrevocable('h', { a: v('a') }, { a: v('bb') }, []);
    expect(r.ok).toBe(false);
    expect(judgeIrrevocable('h', { a: v('a') }, { a: v('bb') }, [acc('h', 'a', 'bb')]).ok).toBe(
      true,
    );
  });
});
