// The operator-action prompt of `nixfleet watch` as a pure state machine:
// a key opens a prompt for the reason, Enter sends, Esc cancels. Abort is
// final, so it takes a second step where the operator types the rollout id
// or `abort`. The reason is checked here with the CP's own rule
// (ts/core/rollout/operator.ts) so an empty reason never leaves the terminal.
import type { ApiRolloutAction } from '../../contracts/index.ts';
import { reasonProblem } from '../../core/rollout/operator.ts';

/** An action the watch keys can send (clear stays a `rollout clear` command). */
export type WatchAction = Extract<
  ApiRolloutAction['action'],
  'pause' | 'resume' | 'abort' | 'approve'
>;

/** Key → action, in the order the footer lists them. */
export const ACTION_KEYS: readonly (readonly [string, WatchAction])[] = [
  ['p', 'pause'],
  ['r', 'resume'],
  ['a', 'abort'],
  ['A', 'approve'],
];

/** The outcome of the last action, as the view shows it. */
export interface ActionResult {
  readonly kind: 'applied' | 'already' | 'refused' | 'failed';
  readonly text: string;
}

/** Where the prompt is. */
export type PromptState =
  | { readonly step: 'idle'; readonly result: ActionResult | null }
  | {
      readonly step: 'reason';
      readonly action: WatchAction;
      readonly reason: string;
      readonly problem: string | null;
    }
  | {
      readonly step: 'confirm';
      readonly action: 'abort';
      readonly reason: string;
      readonly typed: string;
      readonly problem: string | null;
    }
  | { readonly step: 'sending'; readonly action: WatchAction; readonly reason: string };

/** The keys Ink reports that the prompt cares about. */
export interface PromptKey {
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
}

/** What a key press leads to. */
export interface PromptStep {
  readonly state: PromptState;
  /** Set when the action is to be sent now. */
  readonly send?: { readonly action: WatchAction; readonly reason: string };
  /** Set when an idle `q`/Esc asks to leave the view. */
  readonly quit?: boolean;
}

/** The idle state before any action. */
export const IDLE: PromptState = { step: 'idle', result: null };

function edit(text: string, input: string, key: PromptKey): string {
  if (key.backspace || key.delete) return text.slice(0, -1);
  if (key.ctrl || key.meta) return text;
  // Typed text only: pasted newlines and other control characters are dropped, not sent.
  // eslint-disable-next-line no-control-regex
  return text + input.replace(/[\u0000-\u001f\u007f]/g, '');
}

/**
 * The next prompt state for one key press on the rollout `rolloutId`.
 *
 * @example promptKey(IDLE, 'p', {}, 'stable@3f2a9c1d').state.step === 'reason'
 */
export function promptKey(
  s: PromptState,
  input: string,
  key: PromptKey,
  rolloutId: string,
): PromptStep {
  switch (s.step) {
    case 'idle': {
      if (input === 'q' || key.escape) return { state: s, quit: true };
      const hit = ACTION_KEYS.find(([k]) => k === input);
      if (hit === undefined || key.ctrl || key.meta) return { state: s };
      return { state: { step: 'reason', action: hit[1], reason: '', problem: null } };
    }
    case 'reason': {
      if (key.escape) return { state: { step: 'idle', result: null } };
      if (!key.return)
        return { state: { ...s, reason: edit(s.reason, input, key), problem: null } };
      const problem = s.reason.trim() === '' ? 'a reason is required' : reasonProblem(s.reason);
      if (problem !== null) return { state: { ...s, problem: `not sent: ${problem}` } };
      if (s.action === 'abort') {
        return {
          state: { step: 'confirm', action: 'abort', reason: s.reason, typed: '', problem: null },
        };
      }
      return {
        state: { step: 'sending', action: s.action, reason: s.reason },
        send: { action: s.action, reason: s.reason },
      };
    }
    case 'confirm': {
      if (key.escape) return { state: { step: 'idle', result: null } };
      if (!key.return) return { state: { ...s, typed: edit(s.typed, input, key), problem: null } };
      const typed = s.typed.trim();
      if (typed !== rolloutId && typed !== 'abort') {
        return {
          state: {
            ...s,
            problem: `not sent: type ${rolloutId} or abort to confirm, Esc to cancel`,
          },
        };
      }
      return {
        state: { step: 'sending', action: 'abort', reason: s.reason },
        send: { action: 'abort', reason: s.reason },
      };
    }
    case 'sending':
      // One request at a time; its answer ends this step.
      return { state: s };
  }
}

/**
 * The result line of a CP answer.
 *
 * @example answerResult('pause', { action: 'pause', reason: 'x', outcome: 'applied' }).kind === 'applied'
 */
export function answerResult(action: WatchAction, a: ApiRolloutAction): ActionResult {
  const already = a.outcome === 'already';
  const by = a.operator ? ` by ${a.operator}` : '';
  const said = a.message ? `: ${a.message}` : '';
  return already
    ? { kind: 'already', text: `${action} already in force (nothing recorded)${said}` }
    : { kind: 'applied', text: `${action} applied${by}${said}` };
}

/**
 * The result line of a failed call: the CP's refusal code and message when it refused,
 * else the CLI error.
 *
 * @example errorResult('abort', new CliError('CLI_ERR_CP_REFUSED', 'POST …: 409 CP_ERR_ACTION_STATE: ended', { context: { cpCode: 'CP_ERR_ACTION_STATE' } }))
 */
export function errorResult(
  action: WatchAction,
  e: {
    readonly code?: unknown;
    readonly message?: unknown;
    readonly hint?: unknown;
    readonly context?: unknown;
  },
): ActionResult {
  const message = typeof e.message === 'string' ? (e.message.split('\n')[0] ?? '') : String(e);
  const hint = typeof e.hint === 'string' && e.hint !== '' ? ` — ${e.hint}` : '';
  const cpCode = (e.context as { cpCode?: unknown } | undefined)?.cpCode;
  if (typeof cpCode === 'string') {
    // The client's message is `POST <path>: <status> <code>: <what>`; the code and what are the news.
    const at = message.indexOf(`${cpCode}: `);
    const what = at < 0 ? message : message.slice(at + cpCode.length + 2);
    return { kind: 'refused', text: `${action} refused: ${cpCode}: ${what}${hint}` };
  }
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  return { kind: 'failed', text: `${action} failed: ${code}${message}${hint}` };
}
