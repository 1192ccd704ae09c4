// The whole /metrics exposition of a real CP, after traffic that fills its
// labelled counters and histograms, parsed by a strict text-format parser
// (kit/prom-text.ts) over HTTP/2 and over HTTP/1.1 as Prometheus scrapes it.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromText } from './kit/prom-text.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;

beforeAll(async () => {
  t = await startTestCp();
  const op = await t.client('operator:scraper');
  const agent = await t.client('h-000');
  const anon = await t.anonymous();
  // Answered, refused for identity, refused by the edge, unmatched.
  await op.request('/v1/hosts');
  await agent.request('/v1/hosts');
  await anon.request('/v1/whoami');
  await anon.request('/healthz');
  await anon.request('/nope');
  await anon.request('/v1/hosts', { noProtocol: true });
  // Let the edge's latency samples reach the main thread (flushed every 100 ms).
  await new Promise((r) => setTimeout(r, 300));
}, 60_000);
afterAll(async () => {
  await t?.close();
});

function scrape1(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & { ALPNProtocols: string[] } = {
      host: '127.0.0.1',
      port,
      path: '/metrics',
      servername: 'localhost',
      ca,
      ALPNProtocols: ['http/1.1'],
      agent: false,
    };
    const req = https.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the /metrics exposition', () => {
  it('parses strictly over HTTP/2 and HTTP/1.1, with the families a scraper expects', async () => {
    const h2 = (await (await t.anonymous()).request('/metrics')).body.toString();
    // A scrape resets the event-loop lag window, which samples every 10 ms:
    // the next scrape has lag series once the window holds a sample again.
    await new Promise((r) => setTimeout(r, 50));
    const h1 = await scrape1(t.port, t.pki.caPem);
    for (const text of [h2, h1]) {
      const families = parsePromText(text);
      const by = new Map(families.map((f) => [f.name, f]));
      for (const name of [
        'nixfleet_build_info',
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'process_start_time_seconds',
        'process_open_fds',
        'nixfleet_cp_rollouts',
        'nixfleet_cp_hosts',
        'nodejs_heap_size_used_bytes',
        'nodejs_heap_space_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_version_info',
      ]) {
        expect(by.get(name)?.samples.length, name).toBeGreaterThan(0);
      }
      // The traffic above made labelled series and histograms appear.
      expect(by.get('nixfleet_cp_http_requests_total')?.samples.length).toBeGreaterThan(3);
      expect(by.get('nixfleet_cp_request_seconds')?.samples.length).toBeGreaterThan(0);
      expect(by.get('nixfleet_cp_auth_refused_total')?.samples.length).toBeGreaterThan(0);
    }
  });
});

describe('the strict parser', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  it('accepts a well-formed exposition, escapes and special floats included', () => {
    const f = parsePromText(
      `${ok}# HELP g G.\n# TYPE g gauge\ng{v="a\\\\b\\"c\\nd"} NaN\ng{v="e"} -Inf\n` +
        '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n',
    );
    expect(f.find((x) => x.name === 'g')?.samples[0]?.labels['v']).toBe('a\\b"c\nd');
  });
  it.each([
    ['no trailing newline', ok.slice(0, -1)],
    ['sample before TYPE', 'a_total 1\n# HELP a_total A.\n# TYPE a_total counter\n'],
    ['sample without HELP', '# TYPE a_total counter\na_total 1\n'],
    ['counter without _total', '# HELP a A.\n# TYPE a counter\na 1\n'],
    ['quantile on a gauge', '# HELP g G.\n# TYPE g gauge\ng{quantile="0.5"} 1\n'],
    ['bad metric name', '# HELP 1g G.\n# TYPE 1g gauge\n1g 1\n'],
    ['bad label name', '# HELP g G.\n# TYPE g gauge\ng{1x="a"} 1\n'],
    ['bad escape', '# HELP g G.\n# TYPE g gauge\ng{x="a\\tb"} 1\n'],
    ['unquoted label', '# HELP g G.\n# TYPE g gauge\ng{x=a} 1\n'],
    ['value not a float', '# HELP g G.\n# TYPE g gauge\ng 1,5\n'],
    ['duplicate series', '# HELP g G.\n# TYPE g gauge\ng{a="1",b="2"} 1\ng{b="2",a="1"} 1\n'],
    ['second TYPE', '# HELP g G.\n# TYPE g gauge\n# TYPE g gauge\ng 1\n'],
    [
      'histogram without +Inf',
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
    ],
    [
      'family not contiguous',
      '# HELP g G.\n# TYPE g gauge\n# HELP k K.\n# TYPE k gauge\ng{a="1"} 1\nk 1\ng{a="2"} 1\n',
    ],
  ])('refuses %s', (_why, text) => {
    expect(() => parsePromText(text)).toThrow();
  });
});
