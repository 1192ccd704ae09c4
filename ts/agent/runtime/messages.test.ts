// The reducer loop's inbox is taken from for the agent's whole life with one
// long-lived stop signal: each wait must leave no abort listener behind
// (every harness agent log used to show MaxListenersExceededWarning — one
// leaked listener and closure per message, unbounded on a long-running host).
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Inbox } from './messages.ts';

describe('Inbox', () => {
  it('delivers in order and leaves no abort listener behind after many waits', async () => {
    const inbox = new Inbox<number>();
    const stop = new AbortController();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) {
      const next = inbox.take(stop.signal);
      setTimeout(() => inbox.post(i), 0);
      got.push((await next) as number);
    }
    expect(got).toEqual([...Array(50).keys()]);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('returns null when stopped while waiting, and at once when already stopped', async () => {
    const inbox = new Inbox<string>();
    const stop = new AbortController();
    const waiting = inbox.take(stop.signal);
    stop.abort();
    expect(await waiting).toBeNull();
    expect(await inbox.take(stop.signal)).toBeNull();
    inbox.post('late');
    expect(inbox.size).toBe(1);
  });
});
