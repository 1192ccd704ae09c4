// The notification outbox in storage: one row per (dedupe id, sink) however
// often it is enqueued, attempts and outcomes recorded, and retention that
// never prunes the event of a pending notification (nor fails its commit on
// the foreign key) while finished rows go with the history. On every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../../contracts/index.ts';
import type { WriteOp } from '../types.ts';
import { BACKENDS } from './backends.ts';

const payload = (id: string): Notification => ({
  schemaVersion: 1,
  id,
  kind: 'rollout_opened',
  severity: 'info',
  channel: 'stable',
  rolloutId: 'stable@ab',
  hostname: null,
  occurredAt: '2026-05-16T01:27:00Z',
  summary: 'rollout stable@ab opened (1 wave)',
  details: {},
});

const event = (id: number, at: number): WriteOp => ({
  op: 'appendEvent',
  id,
  row: {
    recordedAt: at,
    stream: 'rollout',
    rolloutId: 'stable@ab',
    hostname: null,
    agentSeq: null,
    kind: 'RolloutOpened',
    body: {},
  },
});

const enqueue = (id: string, sink: string, at: number, eventRef: number | null): WriteOp => ({
  op: 'enqueueNotification',
  row: {
    dedupeId: id,
    sink,
    payload: payload(id),
    createdAt: at,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: at,
    lastError: null,
  },
  eventRef,
});

describe.each(BACKENDS)('notification_outbox: $name', (backend) => {
  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());

  it('stores one row per dedupe id and sink; records attempts and outcomes', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    await s.commit([event(1, 10), enqueue('n1', 'nats', 10, 1), enqueue('n1', 'webhook', 10, 1)]);
    await s.commit([enqueue('n1', 'nats', 20, null)]);
    expect((await s.pendingNotifications({ limit: 10 })).map((r) => [r.sink, r.createdAt])).toEqual(
      [
        ['nats', 10],
        ['webhook', 10],
      ],
    );
    await s.commit([
      {
        op: 'notificationAttempted',
        dedupeId: 'n1',
        sink: 'nats',
        attempts: 1,
        nextAttemptAt: 5_000,
        lastError: 'CONNECTION_REFUSED',
      },
      {
        op: 'notificationFinished',
        dedupeId: 'n1',
        sink: 'webhook',
        state: 'delivered',
        attempts: 1,
        lastError: null,
        finishedAt: 30,
      },
    ]);
    const pending = await s.pendingNotifications({ limit: 10 });
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      sink: 'nats',
      attempts: 1,
      nextAttemptAt: 5_000,
      lastError: 'CONNECTION_REFUSED',
      payload: payload('n1'),
    });
    await s.close();
  });

  it('retention keeps the event of a pending notification and prunes finished ones with theirs', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    await s.commit([event(1, 10), enqueue('n1', 'nats', 10, 1)]);
    await s.commit([event(1, 11), enqueue('n2', 'nats', 11, 1)]);
    await s.commit([
      {
        op: 'notificationFinished',
        dedupeId: 'n2',
        sink: 'nats',
        state: 'failed',
        attempts: 12,
        lastError: 'timeout',
        finishedAt: 50,
      },
    ]);
    await s.commit([{ op: 'pruneEvents', before: 1_000 }]);
    expect((await s.allEvents()).map((e) => e.recordedAt)).toEqual([10]);
    expect((await s.pendingNotifications({ limit: 10 })).map((r) => r.dedupeId)).toEqual(['n1']);
    await s.close();
  });

  it('prunes finished rows past retention, keeps newer finished rows, and a late attempt never reopens a finished row', async () => {
    const fx = await backend.fresh();
    const s = fx.open();
    await s.migrate();
    await s.commit([event(1, 10), enqueue('old', 'nats', 10, 1)]);
    await s.commit([event(1, 5_000), enqueue('new', 'nats', 5_000, 1)]);
    const finish = (id: string): WriteOp => ({
      op: 'notificationFinished',
      dedupeId: id,
      sink: 'nats',
      state: 'delivered',
      attempts: 1,
      lastError: null,
      finishedAt: 6_000,
    });
    await s.commit([finish('old'), finish('new')]);
    await s.commit([
      {
        op: 'notificationAttempted',
        dedupeId: 'new',
        sink: 'nats',
        attempts: 2,
        nextAttemptAt: 9_000,
        lastError: 'late',
      },
    ]);
    await s.commit([{ op: 'pruneEvents', before: 1_000 }]);
    const rows = await fx.query(
      'SELECT dedupe_id, state, attempts, last_error FROM notification_outbox ORDER BY dedupe_id',
    );
    expect(rows).toEqual([{ dedupe_id: 'new', state: 'delivered', attempts: 1, last_error: null }]);
    expect(await s.pendingNotifications({ limit: 10 })).toEqual([]);
    await s.close();
  });

  it('returns rows due together in the order of the events that caused them, up to the limit', async () => {
    const s = (await backend.fresh()).open();
    await s.migrate();
    await s.commit([
      event(1, 10),
      enqueue('z-first', 'webhook', 10, 1),
      event(2, 10),
      enqueue('a-second', 'webhook', 10, 2),
      event(3, 10),
      enqueue('m-third', 'webhook', 10, 3),
    ]);
    expect((await s.pendingNotifications({ limit: 2 })).map((r) => r.dedupeId)).toEqual([
      'z-first',
      'a-second',
    ]);
    await s.close();
  });
});
