import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiRolloutEvents } from '../contracts/index.ts';
import { checkAckedEventsLogged, readAckedEvents } from './acked-events.ts';
import { checkLeaderTakeover, type TakeoverMeasure } from './replicas.ts';

const hosts = ['web-01', 'web-02'];
const took = (ms: number, over: Partial<TakeoverMeasure> = {}): TakeoverMeasure => ({
  killed: 'cp-a',
  leader: 'cp-b',
  ms,
  status: { hosts },
  ...over,
});

describe('checkLeaderTakeover', () => {
  it('holds for a takeover within 10 s whose leader lists every host', () => {
    expect(checkLeaderTakeover([took(1_700)], hosts)).toEqual([]);
  });
  it.each([
    ['no takeover measured', [], /no killLeader measured/],
    ['a takeover over 10 s', [took(10_400)], /cp-b led 10.40 s after cp-a was killed/],
    ['no new leader', [took(30_000, { leader: null })], /no replica led after cp-a/],
    [
      'status failing',
      [took(900, { status: { error: 'exit 4: CP_ERR_NOT_LEADER' } })],
      /status against cp-b: exit 4/,
    ],
    [
      'a host missing from status',
      [took(900, { status: { hosts: ['web-01'] } })],
      /lists no web-02/,
    ],
  ])('is violated by %s', (_n, measures, re) => {
    const v = checkLeaderTakeover(measures as TakeoverMeasure[], hosts);
    expect(v.join('\n')).toMatch(re);
  });
});

describe('ackedEventsLogged', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const rid = 'stable@96aaf5bc0b04';
  const row = (host: string, seq: number, n: number): ApiRolloutEvents['events'][number] =>
    ({
      seq: n,
      kind: 'RemoteDispatchAck',
      at: '2026-12-07T00:46:50Z',
      payload: { rolloutId: rid, hostname: host, event: { kind: 'RemoteDispatchAck', seq } },
    }) as unknown as ApiRolloutEvents['events'][number];

  function journals(): string {
    const d = mkdtempSync(join(tmpdir(), 'acked-'));
    dirs.push(d);
    for (const h of hosts) mkdirSync(join(d, h, 'journal'), { recursive: true });
    const ev = (seq: number) => JSON.stringify({ kind: 'DispatchAck', rollout_id: rid, seq });
    writeFileSync(join(d, 'web-01/journal', `${rid}.jsonl`), `${ev(1)}\n${ev(2)}\n`);
    // A torn last line (killed mid-append) was never acknowledged.
    writeFileSync(join(d, 'web-02/journal', `${rid}.jsonl`), `${ev(1)}\n{"kind":"Act`);
    // Refused events are journaled apart and are not acknowledgements.
    writeFileSync(join(d, 'web-02/journal', `${rid}.rejected`), `${ev(7)}\n`);
    return d;
  }

  it('holds when the log has every journaled event', () => {
    const d = journals();
    const acked = readAckedEvents(hosts, (h) => join(d, h));
    expect(acked).toHaveLength(3);
    const log = [row('web-01', 1, 1), row('web-01', 2, 2), row('web-02', 1, 3)];
    expect(checkAckedEventsLogged(acked, log)).toEqual([]);
  });
  it('names an acknowledged event the log lost', () => {
    const d = journals();
    const acked = readAckedEvents(hosts, (h) => join(d, h));
    const log = [row('web-01', 1, 1), row('web-02', 1, 3)];
    expect(checkAckedEventsLogged(acked, log)).toEqual([
      `ackedEventsLogged: web-01's DispatchAck seq 2 of ${rid} was acknowledged but is not in the event log`,
    ]);
  });
  it('an event of another host with the same seq does not count', () => {
    const acked = [{ host: 'web-02', rolloutId: rid, seq: 2, kind: 'DispatchAck' }];
    expect(checkAckedEventsLogged(acked, [row('web-01', 2, 1)])).toHaveLength(1);
  });
  it('nothing journaled is a violation, not a pass', () => {
    expect(checkAckedEventsLogged([], [row('web-01', 1, 1)])).toEqual([
      'ackedEventsLogged: no agent journaled an acknowledged event',
    ]);
  });
});
