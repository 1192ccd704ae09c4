// The notification outbox in storage: one row per (dedupe id, sink) however
// often it is enqueued, attempts and outcomes recorded, and retention that
// never prunes the event of a pending notification (nor fails its commit on
// the foreign key) while finished rows go with the history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../contracts/index.ts';
import { openSqliteStorage } from './sqlite.ts';
import type { WriteOp } from './types.ts';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'cp-outbox-'));
  dirs.push(d);
  return join(d, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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

describe('notification_outbox', () => {
  it('stores one row per dedupe id and sink; records attempts and outcomes', async () => {
    const s = openSqliteStorage(tmpDb());
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
    const s = openSqliteStorage(tmpDb());
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
});
