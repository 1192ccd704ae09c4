// Release progress: what each host went through, and how it is shown. In CI
// (stderr not a terminal) every step is one line a log keeps; on a terminal
// one status line is redrawn in place (`built 17/32 · pushed 12/32 · 00:41`)
// and the other messages scroll above it. Formatting is pure; the reporter
// only writes through the two callbacks it is given.

/** One host finished one step. */
export interface ReleaseProgress {
  readonly step: 'built' | 'pushed';
  readonly host: string;
  /** The closure's store path basename (built), or null. */
  readonly detail: string | null;
  /** Hosts done with this step so far, this one included. */
  readonly done: number;
  readonly total: number;
}

/**
 * The CI line of one step.
 *
 * @example formatProgressEvent({ step: 'pushed', host: 'web-01', detail: null, done: 2, total: 3 })
 *   // => 'pushed web-01 (2/3)'
 */
export function formatProgressEvent(p: ReleaseProgress): string {
  const detail = p.detail === null ? '' : ` ${p.detail}`;
  return `${p.step} ${p.host}${detail} (${p.done}/${p.total})`;
}

/** Counters of a release in progress. */
export interface ProgressCounts {
  readonly built: number;
  readonly pushed: number;
  /** Hosts selected for the release (0 before the build starts). */
  readonly total: number;
  readonly elapsedMs: number;
}

/**
 * The terminal's status line.
 *
 * @example formatProgressLine({ built: 17, pushed: 12, total: 32, elapsedMs: 41_000 })
 *   // => 'built 17/32 · pushed 12/32 · 00:41'
 */
export function formatProgressLine(c: ProgressCounts): string {
  const secs = Math.max(0, Math.floor(c.elapsedMs / 1000));
  const mm = String(Math.floor(secs / 60)).padStart(2, '0');
  const ss = String(secs % 60).padStart(2, '0');
  const total = c.total > 0 ? String(c.total) : '?';
  return `built ${c.built}/${total} · pushed ${c.pushed}/${total} · ${mm}:${ss}`;
}

/** What the release command hands the pipeline: messages and per-host steps. */
export interface ProgressReporter {
  readonly log: (line: string) => void;
  readonly progress: (p: ReleaseProgress) => void;
  /** Stops redrawing and clears the status line (terminal only). */
  readonly stop: () => void;
}

/**
 * A reporter writing `release: …` lines through `writeLine`; with
 * `statusLine` (a terminal), steps update one redrawn line instead, and the
 * elapsed time ticks every second.
 */
export function progressReporter(options: {
  readonly writeLine: (line: string) => void;
  readonly statusLine?: ((text: string | null) => void) | undefined;
  readonly now: () => number;
}): ProgressReporter {
  const { writeLine, statusLine, now } = options;
  if (statusLine === undefined) {
    return {
      log: (line) => writeLine(`release: ${line}`),
      progress: (p) => writeLine(`release: ${formatProgressEvent(p)}`),
      stop: () => undefined,
    };
  }
  const started = now();
  let counts = { built: 0, pushed: 0, total: 0 };
  const draw = (): void =>
    statusLine(formatProgressLine({ ...counts, elapsedMs: now() - started }));
  const timer = setInterval(draw, 1000);
  timer.unref();
  return {
    log: (line) => {
      statusLine(null);
      writeLine(`release: ${line}`);
      draw();
    },
    progress: (p) => {
      counts = { ...counts, [p.step]: p.done, total: Math.max(counts.total, p.total) };
      draw();
    },
    stop: () => {
      clearInterval(timer);
      statusLine(null);
    },
  };
}
