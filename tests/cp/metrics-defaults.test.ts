// What a stock Prometheus setup expects of /metrics besides the CP's own
// series, read from a real CP: the build info, the process_* defaults with
// plausible values, rollouts by state, and no `quantile` label on a gauge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('carries no quantile label outside a summary', () => {
    expect(body).not.toMatch(/quantile=/);
    // The window's median, 99th percentile and maximum, by `stat`.
    expect(body).toContain('# TYPE nixfleet_cp_event_loop_delay_window_seconds gauge');
  });
});
