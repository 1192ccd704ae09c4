import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { wakeOrAbort } from '../clock.ts';
import { Inbox } from './messages.ts';

describe('Inbox', () => {
  it('delivers in order and returns null once aborted', async () => {
    const box = new Inbox<number>();
    const c = new AbortController();
    box.post(1);
    box.post(2);
    expect(await box.take(c.signal)).toBe(1);
    expect(await box.take(c.signal)).toBe(2);
    const waiting = box.take(c.signal);
    c.abort();
    expect(await waiting).toBeNull();
  });

  it('leaves no abort listener behind on the long-lived signal after each wake-up', async () => {
    // The reducer loop takes thousands of messages with one signal that lives
    // as long as the agent; a listener left per wait is a leak and made every
    // agent print MaxListenersExceededWarning after 11 messages.
    const box = new Inbox<number>();
    const c = new AbortController();
    for (let i = 0; i < 50; i++) {
      const taken = box.take(c.signal);
      setImmediate(() => box.post(i));
      expect(await taken).toBe(i);
    }
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
  });
});

describe('wakeOrAbort', () => {
  it('resolves on wake and removes its listener; resolves at once when already aborted', async () => {
    const c = new AbortController();
    let wake: () => void = () => {};
    const p = wakeOrAbort(c.signal, (w) => {
      wake = w;
    });
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(1);
    wake();
    await p;
    expect(getEventListeners(c.signal, 'abort')).toHaveLength(0);
    c.abort();
    await wakeOrAbort(c.signal, () => {});
  });
});
