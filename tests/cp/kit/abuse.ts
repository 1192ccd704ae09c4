// Helpers of the abuse tests (tests/cp/limits-*.test.ts): a legitimate agent
// heartbeating while an attack runs, its latencies printed; a log capture to
// see the lines naming peers; and the CP's Prometheus counters read over HTTP.
import http2 from 'node:http2';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../ts/cp/log.ts';
import { SimAgent } from './agent-sim.ts';
import type { TestCp } from './harness.ts';

/** Log lines the CP wrote, parsed. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) {
        if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      cb();
    },
  });
  return { log: createLogger({ level: 'warn', destination: sink }), lines };
}

/** A legitimate agent's heartbeat loop; `stop` returns every latency (ms) and failures. */
export async function heartbeatProbe(
  t: TestCp,
  hostname: string,
  everyMs = 100,
): Promise<{ stop(label: string): Promise<{ latencies: number[]; failures: string[] }> }> {
  const agent = new SimAgent(hostname, await t.client(hostname));
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        agent.client = await t.client(hostname);
        const r = await agent.heartbeat();
        if (r.status !== 200) failures.push(`HTTP ${r.status}`);
        latencies.push(performance.now() - t0);
      } catch (e) {
        failures.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(label) {
      running = false;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      const pct = (p: number): string =>
        (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(1);
      console.log(
        `[${label}] legitimate heartbeats: n=${sorted.length} p50=${pct(0.5)} ms p99=${pct(0.99)} ms max=${(sorted.at(-1) ?? NaN).toFixed(1)} ms failures=${failures.length}`,
      );
      return { latencies, failures };
    },
  };
}

/** The value of one Prometheus series (0 when absent). */
export async function counter(t: TestCp, series: string): Promise<number> {
  const c = await t.anonymous();
  try {
    const text = (await c.request('/metrics', { noProtocol: true })).body.toString('utf8');
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  } finally {
    c.close();
  }
}

/** Resolves with the ms until `emitter` emits `event`, or rejects after `withinMs`. */
export function timeUntil(
  emitter: { once(event: string, fn: () => void): unknown },
  event: string,
  withinMs: number,
  label = '',
): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label}: no ${event} within ${withinMs} ms`)),
      withinMs,
    );
    emitter.once(event, () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    });
  });
}

/**
 * A slowloris request: POSTs `path` on `session` one byte every `everyMs`
 * (never finishing on its own). Resolves with the status the CP answered or
 * `reset`, and the ms it took; rejects if neither happened within `withinMs`.
 */
export function slowPost(
  session: http2.ClientHttp2Session,
  path: string,
  everyMs: number,
  withinMs: number,
): Promise<{ outcome: number | 'reset'; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request({
        ':method': 'POST',
        ':path': path,
        'x-nixfleet-protocol': '1',
        'content-type': 'application/json',
      });
    } catch {
      resolve({ outcome: 'reset', ms: 0 });
      return;
    }
    let done = false;
    const finish = (outcome: number | 'reset'): void => {
      if (done) return;
      done = true;
      clearInterval(drip);
      clearTimeout(timer);
      resolve({ outcome, ms: performance.now() - t0 });
    };
    const drip = setInterval(() => {
      if (!req.destroyed && !req.closed) req.write('{');
    }, everyMs);
    const timer = setTimeout(() => {
      done = true;
      clearInterval(drip);
      req.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`slow request on ${path} still open after ${withinMs} ms`));
    }, withinMs);
    req.on('response', (h) => finish(Number(h[':status'])));
    req.on('error', () => finish('reset'));
    req.on('close', () => finish('reset'));
  });
}
