// The live container of `nixfleet watch` and `nixfleet status --watch`:
// polls a loader on an interval, keeps the last good snapshot on screen with
// a banner when a poll fails, quits on `q` (or Ctrl-C, handled by Ink) and
// by itself once the snapshot says the thing watched has ended. Never
// writes anything but the view: logs would tear the screen.
import { Box, useApp, useInput } from 'ink';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { isCliError } from '../errors.ts';

/** How a live view ended. */
export interface LiveResult<S> {
  /** Last snapshot shown. */
  readonly last: S;
  /** The error of the last poll, null when it succeeded. */
  readonly lastError: unknown;
  /** `done`: isDone said so; `quit`: the operator pressed q. */
  readonly reason: 'done' | 'quit';
}

/** Props of {@link LiveView}. */
export interface LiveViewProps<S> {
  /** First snapshot (fetched before mounting, so a dead CP fails fast). */
  readonly initial: S;
  /** Fetches the next snapshot. */
  readonly load: (signal: AbortSignal) => Promise<S>;
  /** Renders a snapshot with the error banner and footer. */
  readonly view: (
    snapshot: S,
    chrome: { readonly error: string | null; readonly footer: string },
  ) => ReactElement;
  readonly intervalMs: number;
  /** True when nothing will change any more; the view then exits. */
  readonly isDone?: (snapshot: S) => boolean;
  /** Called once, before the app exits by itself or on `q`. */
  readonly onEnd: (result: LiveResult<S>) => void;
  /** Called after every poll (Ctrl-C unmounts without onEnd; this keeps the caller current). */
  readonly onUpdate?: (snapshot: S, error: unknown) => void;
  /** Whether keyboard input is available (stdin is a TTY). */
  readonly input: boolean;
  /**
   * Key-driven controls under the view; when given they own the keyboard (and call `quit`
   * for q/Esc when nothing else wants the key), so a prompt can take q and Esc as text.
   */
  readonly controls?: (
    snapshot: S,
    ctl: { readonly input: boolean; readonly quit: () => void },
  ) => ReactElement;
  /** Clock for the footer. */
  readonly now: () => Date;
}

function errorText(e: unknown): string {
  if (isCliError(e)) return `${e.code}: ${e.message.split('\n')[0] ?? ''} — retrying`;
  return `${(e as Error).message} — retrying`;
}

function Keys(props: { readonly onQuit: () => void }): null {
  useInput((input, key) => {
    if (input === 'q' || key.escape) props.onQuit();
  });
  return null;
}

/**
 * Polls and re-renders until done or quit.
 *
 * @example render(<LiveView initial={snap} load={(s) => loadRollout(client, id, { now, signal: s })} view={…} intervalMs={2000} onEnd={…} input now={now} />)
 */
export function LiveView<S>(props: LiveViewProps<S>): ReactElement {
  const { exit } = useApp();
  const [state, setState] = useState<{ snapshot: S; error: unknown; at: Date }>({
    snapshot: props.initial,
    error: null,
    at: props.now(),
  });
  const latest = useRef(state);
  latest.current = state;
  const ended = useRef(false);
  const end = (reason: 'done' | 'quit'): void => {
    if (ended.current) return;
    ended.current = true;
    props.onEnd({ last: latest.current.snapshot, lastError: latest.current.error, reason });
    exit();
  };
  // Leave only from an effect of the state that is done: effects run after React committed
  // that state, so Ink has the final frame (a Reverted rollout, say) to flush on unmount.
  useEffect(() => {
    if (state.error === null && props.isDone?.(state.snapshot)) end('done');
  }, [state]);
  useEffect(() => {
    if (props.isDone?.(props.initial)) return undefined;
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      let next: { snapshot: S; error: unknown; at: Date };
      try {
        next = { snapshot: await props.load(ctl.signal), error: null, at: props.now() };
      } catch (e) {
        next = { ...latest.current, error: e };
      }
      if (ctl.signal.aborted) return;
      latest.current = next;
      props.onUpdate?.(next.snapshot, next.error);
      setState(next);
      if (next.error === null && props.isDone?.(next.snapshot)) return;
      timer = setTimeout(() => void tick(), props.intervalMs);
    };
    timer = setTimeout(() => void tick(), props.intervalMs);
    return () => {
      ctl.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
    // The loader and view are fixed for the life of the app: mount once.
  }, []);
  const at = state.at.toISOString().slice(11, 19);
  const footer = `updated ${at}Z · every ${Math.round(props.intervalMs / 100) / 10}s${props.input ? ' · q to quit' : ''}`;
  return (
    <Box flexDirection="column">
      {props.input && props.controls === undefined ? <Keys onQuit={() => end('quit')} /> : null}
      {props.view(state.snapshot, {
        error: state.error === null ? null : errorText(state.error),
        footer,
      })}
      {props.controls?.(state.snapshot, { input: props.input, quit: () => end('quit') })}
    </Box>
  );
}
