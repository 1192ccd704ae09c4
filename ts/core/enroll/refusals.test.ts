import { describe, expect, it } from 'vitest';
import { clearEnrollRefusal, noteEnrollRefusal, type RefusalBook } from './refusals.ts';

const L = { maxHosts: 3, logEveryMs: 60_000, maxMessageChars: 10 };
const note = (
  book: RefusalBook,
  hostname: string | null,
  now: number,
  code = 'CP_ERR_NONCE_NOT_ALLOWED',
  message = 'refused',
) => noteEnrollRefusal(book, { hostname, code, message, now }, L);

describe('noteEnrollRefusal', () => {
  it.each([
    ['a hostname', 'web-01', 'web-01'],
    ['an upper-case claim', 'WEB-01', null],
    ['a path', '../etc', null],
    ['a 64-character claim', 'a'.repeat(64), null],
    ['no claim (CSR unreadable)', null, null],
  ])('%s is kept as %s', (_what, claim, kept) => {
    const r = note(new Map(), claim, 0);
    expect(r.hostname).toBe(kept);
    expect(r.book.size).toBe(kept === null ? 0 : 1);
    expect(r.log).toBe(true);
  });

  it('counts repeats, keeps the first time, and logs a name at most once per interval', () => {
    const steps: [number, boolean, number][] = [
      // now, logged, repeats reported on the logged line
      [0, true, 0],
      [1_000, false, 0],
      [59_999, false, 0],
      [60_000, true, 2],
      [60_001, false, 0],
    ];
    let book: RefusalBook = new Map();
    for (const [now, logged, repeats] of steps) {
      const r = note(book, 'web-01', now, 'CP_ERR_TOKEN_EXPIRED');
      expect([now, r.log, r.log ? r.repeats : 0]).toEqual([now, logged, repeats]);
      book = r.book;
    }
    expect(book.get('web-01')).toMatchObject({
      code: 'CP_ERR_TOKEN_EXPIRED',
      firstAt: 0,
      at: 60_001,
      count: 5,
    });
  });

  it('keeps the latest code and truncates the message', () => {
    let book = note(new Map(), 'web-01', 0).book;
    book = note(book, 'web-01', 5, 'CP_ERR_TOKEN_EXPIRED', 'a very long reason').book;
    expect(book.get('web-01')).toMatchObject({
      code: 'CP_ERR_TOKEN_EXPIRED',
      message: 'a very lo…',
    });
  });

  it('is bounded: the least recently refused name is dropped', () => {
    let book: RefusalBook = new Map();
    for (const [i, h] of ['a', 'b', 'c'].entries()) book = note(book, h, i).book;
    book = note(book, 'a', 10).book; // a is now the most recent
    const r = note(book, 'd', 11);
    expect(r.evicted).toBe('b');
    expect([...r.book.keys()]).toEqual(['c', 'a', 'd']);
  });

  it('clearEnrollRefusal forgets a name that enrolled', () => {
    const book = note(new Map(), 'web-01', 0).book;
    expect(clearEnrollRefusal(book, 'web-01').size).toBe(0);
    expect(clearEnrollRefusal(book, 'web-02')).toBe(book);
  });
});
