import { getEventListeners } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../contracts/index.ts';
import { systemClock } from '../clock.ts';
import { backoffDelay } from './backoff.ts';
import { Outbox, type DeliveryOutcome } from './outbox.ts';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function ev(seq: number, rollout = 'stable@abc'): AgentEvent {
  return {
    kind: 'DispatchAck',
    rollout_id: rollout,
    hostname: 'web-01',
    seq,
    received_at: '2026-01-01T00:00:00Z',
    current_closure_at_dispatch: null,
  };
}

function outbox(dir?: string): { box: Outbox; dir: string } {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'nixfleet-outbox-'));
  if (!dir) dirs.push(d);
  return {
    dir: d,
    box: new Outbox({ dir: d, clock: systemClock, log, backoffBaseMs: 5, backoffMaxMs: 20 }),
  };
}

async function until(pred: () => boolean): Promise<void> {
  const end = Date.now() + 3_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('durable outbox', () => {
  it('survives a restart and delivers in seq order', async () => {
    const { box, dir } = outbox();
    box.enqueue([ev(3), ev(2)]);
    box.enqueue([ev(2)]); // idempotent
    const again = outbox(dir).box;
    expect(again.pending().map((e) => e.seq)).toEqual([2, 3]);
    const seen: number[] = [];
    const c = new AbortController();
    void again.run(async (e) => {
      seen.push(e.seq);
      return { kind: 'delivered' };
    }, c.signal);
    await until(() => seen.length === 2);
    c.abort();
    expect(seen).toEqual([2, 3]);
    expect(again.pending()).toEqual([]);
    // Delivered events are journaled and not enqueued twice.
    again.enqueue([ev(2)]);
    expect(again.pending()).toEqual([]);
  });

  it('leaves no abort listener behind on the long-lived signal after waking up', async () => {
    // An idle wait that left its abort listener behind would trip
    // MaxListenersExceededWarning after 11 wake-ups in every agent.
    const { box } = outbox();
    const c = new AbortController();
    let delivered = 0;
    void box.run(async () => {
      delivered++;
      return { kind: 'delivered' };
    }, c.signal);
    for (let i = 1; i <= 30; i++) {
      box.enqueue([ev(i)]);
      await until(() => delivered === i);
    }
    // At most the one listener of the wait in progress.
    expect(getEventListeners(c.signal, 'abort').length).toBeLessThanOrEqual(1);
    c.abort();
  });

  it('retries 5xx and network failures with the same seq, never 4xx', async () => {
    const { box } = outbox();
    box.enqueue([ev(1), ev(2)]);
    const script: DeliveryOutcome[] = [
      { kind: 'retry', detail: 'HTTP 503' },
      { kind: 'retry', detail: 'ECONNREFUSED' },
      { kind: 'delivered' },
      { kind: 'rejected', status: 400, detail: 'bad' },
    ];
    const calls: number[] = [];
    const c = new AbortController();
    void box.run(async (e) => {
      calls.push(e.seq);
      return script.shift() ?? { kind: 'delivered' };
    }, c.signal);
    await until(() => box.pending().length === 0);
    c.abort();
    expect(calls).toEqual([1, 1, 1, 2]);
    expect(box.stats).toEqual({ delivered: 1, rejected: 1, retries: 2 });
  });

  it('a reachable CP cuts a long backoff pause short and leaves no listener behind', async () => {
    // A backoff that grew while the CP was down must not hold back the
    // events a heartbeat asks to replay (orphan-confirm would act first).
    const d = mkdtempSync(join(tmpdir(), 'nixfleet-outbox-'));
    dirs.push(d);
    const box = new Outbox({
      dir: d,
      clock: systemClock,
      log,
      backoffBaseMs: 60_000,
      backoffMaxMs: 60_000,
      random: () => 0.5,
    });
    box.enqueue([ev(1)]);
    let attempts = 0;
    const c = new AbortController();
    void box.run(async () => {
      attempts++;
      return attempts === 1 ? { kind: 'retry', detail: 'ECONNREFUSED' } : { kind: 'delivered' };
    }, c.signal);
    await until(() => box.stats.retries === 1);
    box.cpReachable();
    await until(() => box.pending().length === 0);
    expect(attempts).toBe(2);
    expect(getEventListeners(c.signal, 'abort').length).toBeLessThanOrEqual(1);
    box.cpReachable(); // not pausing: a no-op
    c.abort();
  });

  it('replays journaled events above a seq on request', async () => {
    const { box } = outbox();
    box.enqueue([ev(1), ev(2), ev(3)]);
    const c = new AbortController();
    void box.run(async () => ({ kind: 'delivered' }), c.signal);
    await until(() => box.pending().length === 0);
    c.abort();
    expect(box.replay('stable@abc', 1)).toBe(2);
    expect(box.pending().map((e) => e.seq)).toEqual([2, 3]);
  });

  it('a replay request re-sends refused events too (a wiped CP refuses what it has no record for)', async () => {
    const { box } = outbox();
    box.enqueue([ev(1), ev(2), ev(3), ev(4)]);
    // 1–2 accepted; then the CP loses its database: 3–4 are refused (409 no dispatch
    // recorded) and dropped — never retried on their own.
    const script: DeliveryOutcome[] = [
      { kind: 'delivered' },
      { kind: 'delivered' },
      { kind: 'rejected', status: 409, detail: 'no dispatch recorded' },
      { kind: 'rejected', status: 409, detail: 'no dispatch recorded' },
    ];
    const sent: number[] = [];
    const c = new AbortController();
    void box.run(async (e) => {
      sent.push(e.seq);
      return script.shift() ?? { kind: 'delivered' };
    }, c.signal);
    await until(() => box.pending().length === 0);
    expect(sent).toEqual([1, 2, 3, 4]);
    // The rebuilt CP holds seq 2 and asks for the rest: 3 and 4 go again, in order.
    expect(box.replay('stable@abc', 2)).toBe(2);
    await until(() => box.pending().length === 0);
    c.abort();
    expect(sent).toEqual([1, 2, 3, 4, 3, 4]);
    expect(box.stats.delivered).toBe(4);
  });

  it('moves a corrupt entry aside', () => {
    const { box, dir } = outbox();
    writeFileSync(join(dir, 'outbox', 'x__0000000001.json'), 'not json');
    expect(box.pending()).toEqual([]);
    expect(readdirSync(join(dir, 'outbox')).some((f) => f.includes('.corrupt-'))).toBe(true);
  });

  it('backs off exponentially with jitter and a cap', () => {
    const o = { baseMs: 1000, maxMs: 10_000 };
    expect(backoffDelay(0, { ...o, random: () => 0 })).toBe(500);
    expect(backoffDelay(3, { ...o, random: () => 0.999 })).toBeLessThanOrEqual(8000);
    expect(backoffDelay(20, { ...o, random: () => 0.999 })).toBeLessThanOrEqual(10_000);
  });
});
