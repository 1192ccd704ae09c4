// Mounts a LiveView on the real terminal and waits for it to end (done, `q`
// or Ctrl-C). The only place the operator commands call Ink's render().
import { render } from 'ink';
import type { Terminal } from '../commands/operator-context.ts';
import { LiveView, type LiveViewProps } from './LiveView.tsx';

/** How the live session ended. */
export interface LiveOutcome<S> {
  readonly last: S;
  readonly lastError: unknown;
  /** `interrupted`: Ctrl-C. */
  readonly reason: 'done' | 'quit' | 'interrupted';
}

/**
 * Runs a live view until it ends.
 *
 * @example const out = await runLive(terminal, { initial, load, view, intervalMs, now });
 */
export async function runLive<S>(
  terminal: Terminal,
  props: Omit<LiveViewProps<S>, 'onEnd' | 'onUpdate' | 'input'>,
): Promise<LiveOutcome<S>> {
  let outcome: LiveOutcome<S> = { last: props.initial, lastError: null, reason: 'interrupted' };
  const app = render(
    <LiveView
      {...props}
      input={terminal.stdinIsTTY}
      onUpdate={(last, lastError) => {
        outcome = { last, lastError, reason: 'interrupted' };
      }}
      onEnd={(r) => {
        outcome = r;
      }}
    />,
    {
      stdout: terminal.stdout,
      stdin: terminal.stdin,
      stderr: terminal.stderr,
      exitOnCtrlC: true,
      // Anything logged while the view is up goes above it, never through it.
      patchConsole: true,
    },
  );
  await app.waitUntilExit();
  return outcome;
}
