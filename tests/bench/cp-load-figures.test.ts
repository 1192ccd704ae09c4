// The cp-load benchmark's pure parts: reading a histogram from /metrics
// text, the bounds it gives for a share and a quantile, the URL order of
// each simulated agent, and the side-by-side table.
import { describe, expect, it } from 'vitest';
import { agentPorts } from '../../bench/cp-load/failover-client.ts';
import {
  bucketsOf,
  comparisonTable,
  quantileBound,
  shareAtOrBelow,
  type PassFigures,
} from '../../bench/cp-load/figures.ts';

const METRICS = [
  '# TYPE nixfleet_cp_request_seconds histogram',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/events",le="0.01"} 50',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/events",le="0.05"} 98',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/events",le="0.1"} 99',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/events",le="+Inf"} 100',
  'nixfleet_cp_request_seconds_count{route="POST /v1/agent/events"} 100',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/heartbeat",le="0.01"} 7',
  'nixfleet_cp_request_seconds_bucket{route="POST /v1/agent/heartbeat",le="+Inf"} 7',
].join('\n');
const EVENTS = 'route="POST /v1/agent/events"';

describe('cp-load figures', () => {
  it("reads one series' buckets and nothing of another", () => {
    const b = bucketsOf(METRICS, 'nixfleet_cp_request_seconds', EVENTS);
    expect(b.map((x) => x.le)).toEqual([0.01, 0.05, 0.1, Infinity]);
    expect(b.map((x) => x.count)).toEqual([50, 98, 99, 100]);
    expect(bucketsOf(METRICS, 'nixfleet_cp_request_seconds', 'route="GET /v1/x"')).toEqual([]);
  });

  it('gives the share at a bound and the bucket holding a quantile', () => {
    const b = bucketsOf(METRICS, 'nixfleet_cp_request_seconds', EVENTS);
    expect(shareAtOrBelow(b, 0.05)).toBe(0.98);
    expect(shareAtOrBelow(b, 0.03)).toBeNaN();
    expect(quantileBound(b, 0.5)).toBe(0.01);
    expect(quantileBound(b, 0.99)).toBe(0.1);
    expect(quantileBound(b, 1)).toBe(Infinity);
    expect(quantileBound([], 0.5)).toBeNaN();
  });

  it("rotates each agent's URLs by its index: with two replicas, every other agent has the second first", () => {
    expect(agentPorts([7001, 7002], 0)).toEqual([7001, 7002]);
    expect(agentPorts([7001, 7002], 1)).toEqual([7002, 7001]);
    expect(agentPorts([7001, 7002, 7003], 5)).toEqual([7003, 7001, 7002]);
    expect(agentPorts([7001], 9)).toEqual([7001]);
  });

  it('sets passes side by side, one column each, replicas named in their cells', () => {
    const pass = (label: string, replicas: PassFigures['replicas']): PassFigures => ({
      label,
      hosts: 1000,
      baseline: { n: 300, p50: 4, p99: 9 },
      eventClient: { n: 5000, p50: 12, p99: 80 },
      heartbeat: { n: 900, p50: 6, p99: 40 },
      ticks: 20,
      tickMeanMs: 2,
      converged: 1000,
      convergedAfterSecs: NaN,
      stormSecs: 3.2,
      replicas,
      postgresCpuSecs: label === 'SQLite' ? null : 4.25,
      answered: replicas.map(() => 10),
      notLeader: replicas.map((r) => (r.role === 'follower' ? 10 : 0)),
      failovers: 5,
      exhausted: 0,
      psiPct: 42,
      loadAverage: '1.0 1.0 1.0',
    });
    const edge = bucketsOf(METRICS, 'nixfleet_cp_request_seconds', EVENTS);
    const r = {
      edgeEvents: edge,
      events204: 100,
      events503: 0,
      forwarded: 0,
      forwardFailed: 0,
      rssPeakMiB: 300,
      cpuSecs: 9,
    };
    const table = comparisonTable([
      pass('SQLite', [{ ...r, name: 'cp', role: 'single' }]),
      pass('PostgreSQL', [
        { ...r, name: 'r0', role: 'leader' },
        { ...r, name: 'r1', role: 'follower', edgeEvents: [] },
      ]),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| figure | SQLite | PostgreSQL |');
    expect(lines[1]).toBe('|---|---|---|');
    expect(lines.filter((_, i) => i !== 1).every((l) => l.split(' | ').length === 3)).toBe(true);
    expect(table).toContain(
      '| edge: event requests within 50 ms | cp: 98.00 % of 100 | r0 (leader): 98.00 % of 100; r1 (follower): – of 0 |',
    );
    expect(table).toContain('| PostgreSQL server CPU, rollout phase (s) | – | 4.3 |');
    expect(table).toContain('| converged after release (s) | 1000/1000 after – (not finished) |');
    expect(table).toContain(
      '| agents: requests answered (not-leader) | cp: 10 (0) | r0: 10 (0); r1: 10 (10) |',
    );
  });
});
