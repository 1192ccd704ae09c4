// What a stock Prometheus setup expects of /metrics besides the CP's own
// series, read from a real CP: the build info, the process_* defaults with
// plausible values, the nodejs_* runtime defaults, rollouts and hosts by
// state, and no `quantile` label on a gauge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_STATES } from '../../ts/core/index.ts';
import { versionInfo } from '../../ts/version/version.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;
let body = '';
const sample = (name: string): { labels: string; value: number }[] =>
  body
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => {
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l);
      return { labels: m?.[1] ?? '', value: Number(m?.[2]) };
    });

beforeAll(async () => {
  t = await startTestCp();
  const r = await (await t.anonymous()).request('/metrics');
  body = r.body.toString();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('/metrics defaults', () => {
  it('exports nixfleet_build_info{version,commit,node} = 1', () => {
    const v = versionInfo(process.env);
    expect(body).toContain('# TYPE nixfleet_build_info gauge');
    expect(sample('nixfleet_build_info')).toEqual([
      { labels: `commit="${v.commit}",node="${v.node}",version="${v.version}"`, value: 1 },
    ]);
  });

  it('exports the process_* defaults with plausible values', () => {
    const now = Date.now() / 1000;
    const one = (name: string): number => {
      const s = sample(name);
      expect(s, name).toHaveLength(1);
      return s[0]!.value;
    };
    expect(body).toContain('# TYPE process_cpu_seconds_total counter');
    expect(one('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(one('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(one('process_cpu_system_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(one('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(one('process_virtual_memory_bytes')).toBeGreaterThan(
      one('process_resident_memory_bytes'),
    );
    const start = one('process_start_time_seconds');
    expect(start).toBeLessThanOrEqual(now);
    expect(start).toBeGreaterThan(now - 3600);
    expect(one('process_open_fds')).toBeGreaterThan(3);
    expect(one('process_max_fds')).toBeGreaterThanOrEqual(one('process_open_fds'));
    expect(body).not.toContain('nixfleet_cp_process_resident_memory_bytes');
  });

  it('counts rollouts by state, every state present', () => {
    const s = sample('nixfleet_cp_rollouts');
    expect(s.length).toBe(8);
    expect(s.every((x) => /^state="[A-Z][a-z]+"$/.test(x.labels))).toBe(true);
    expect(s.reduce((a, x) => a + x.value, 0)).toBe(
      Object.keys(t.cp.runtime.state.model.book.rollouts).length,
    );
  });

  it('exports the nodejs_* defaults: heap, heap spaces, event-loop lag, gc, resources, version', () => {
    const one = (name: string): number => {
      const s = sample(name);
      expect(s, name).toHaveLength(1);
      return s[0]!.value;
    };
    const used = one('nodejs_heap_size_used_bytes');
    expect(used).toBeGreaterThan(1024 * 1024);
    expect(one('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(used);
    expect(one('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    for (const f of ['total', 'used', 'available']) {
      const spaces = sample(`nodejs_heap_space_size_${f}_bytes`);
      expect(spaces.map((x) => x.labels)).toContain('space="old"');
      expect(spaces.map((x) => x.labels)).toContain('space="new"');
    }
    expect(body).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
    for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
      const v = one(`nodejs_eventloop_lag_${stat}_seconds`);
      expect(v, stat).toBeGreaterThanOrEqual(0);
      expect(v, stat).toBeLessThan(10);
    }
    expect(body).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(sample('nodejs_active_resources').length).toBeGreaterThan(0);
    const [major, minor] = process.versions.node.split('.');
    expect(sample('nodejs_version_info')).toEqual([
      {
        labels: `major="${major}",minor="${minor}",patch="${process.versions.node.split('.')[2]}",version="${process.version}"`,
        value: 1,
      },
    ]);
  });

  it('counts hosts by the state of their latest rollout record, every state present', () => {
    const s = sample('nixfleet_cp_hosts');
    expect(body).toContain('# TYPE nixfleet_cp_hosts gauge');
    expect(s.map((x) => x.labels).sort()).toEqual(HOST_STATES.map((st) => `state="${st}"`).sort());
    const hosts = new Set<string>();
    for (const m of t.cp.runtime.state.committed.hosts.values())
      for (const h of m.keys()) hosts.add(h);
    expect(s.reduce((a, x) => a + x.value, 0)).toBe(hosts.size);
  });

  it('carries no quantile label outside a summary', () => {
    expect(body).not.toMatch(/quantile=/);
    // The window's median, 99th percentile and maximum, by `stat`.
    expect(body).toContain('# TYPE nixfleet_cp_event_loop_delay_window_seconds gauge');
  });
});
