// Event-loop delay of one CP thread (main: mutator and reconcile; edge: TLS
// and HTTP/2). Every request waits out whatever blocks its thread — a long
// reconcile tick, a garbage-collection pause, a burst of handshakes — so the
// delay is the first thing to read when ingest latency rises. Owns the
// measurement only: quantiles per window from the runtime's native
// histogram, and stalls (a timer firing late by more than a threshold) as
// they happen. Reporting is the caller's (metrics, log, thread message).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Delay quantiles of one window, in milliseconds. */
export interface LoopDelayWindow {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Options of {@link watchLoopDelay}. */
export interface LoopDelayOptions {
  /** Length of a quantile window (ms). */
  readonly windowMs: number;
  /** A timer late by at least this much (ms) is a stall. */
  readonly stallMs: number;
  /** A window ended. */
  readonly onWindow: (w: LoopDelayWindow) => void;
  /** The loop was blocked for `ms` (reported once per stall, when it ends). */
  readonly onStall: (ms: number) => void;
}

/** Window of the exported quantiles (ms): what `nixfleet_cp_event_loop_delay_window_seconds` covers. */
export const LOOP_WINDOW_MS = 10_000;
/** Blocked this long (ms) counts as a stall: logged and counted. */
export const LOOP_STALL_MS = 100;

/** How often the stall probe checks the clock (ms). */
const PROBE_MS = 50;

/**
 * Starts watching the calling thread's event loop; returns a stop function.
 * Timers are unref'd: watching never keeps a thread alive.
 *
 * @example const stop = watchLoopDelay({ windowMs: 10_000, stallMs: 100, onWindow, onStall });
 */
export function watchLoopDelay(o: LoopDelayOptions): () => void {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  const windowTimer = setInterval(() => {
    if (h.count > 0)
      o.onWindow({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) });
    h.reset();
  }, o.windowMs);
  windowTimer.unref();
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    const late = now - last - PROBE_MS;
    last = now;
    if (late >= o.stallMs) o.onStall(Math.round(late));
  }, PROBE_MS);
  probe.unref();
  return () => {
    clearInterval(windowTimer);
    clearInterval(probe);
    h.disable();
  };
}
